#pragma once
// Writes output units that are one contiguous run of the file with plain
// pwrite, on a thread of its own, so the previous unit's write overlaps the
// next unit's read (ARCHITECTURE.md, "Slab I/O"). HDF5 is not thread-safe
// here and this thread never calls it: the main thread asks HDF5 once where
// each such dataset's data starts (H5Dget_offset; the datasets are
// contiguous and allocated at creation), and HDF5 itself never writes raw
// data it was not given, so the two never touch the same bytes.

#include "common/util/file_descriptor.hpp"
#include "common/util/worker_thread.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <future>
#include <vector>

namespace h5io {

class RunWriter {
public:
  // Opens `path` for writing; throws Error when it cannot.
  explicit RunWriter(const std::filesystem::path& path);

  // Queues writing `bytes` bytes of `data` at file offset `offset`. The
  // buffer must stay as it is until wait() returns.
  void write(int64_t offset, const std::byte* data, size_t bytes);

  // From now on, start each write's write-back to disk as soon as it is in
  // the page cache (sync_file_range, which does not wait for the disk), for
  // writers that will flush the file anyway: the disk then works while the
  // next units are read and computed. Without it the kernel holds the pages
  // back until memory pressure or age, which suits a run that never syncs.
  void start_writeback_early() { early_writeback_ = true; }

  // Waits for every queued write and returns the seconds they spent in
  // pwrite; throws Error for the first that failed (after waiting for all).
  double wait();

private:
  std::filesystem::path path_;
  FileDescriptor file_;
  std::vector<std::future<double>> pending_;
  bool early_writeback_ = false;
  WorkerThread thread_; // last: joined before the descriptor closes
};

} // namespace h5io
