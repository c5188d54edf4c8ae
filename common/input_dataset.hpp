#pragma once
// One input dataset of a job: what it holds (shape, dtype, chunking) and the
// reads the pipeline makes of it, delivered slice-major.

#include "common/file_descriptor.hpp"
#include "common/hdf5_handle.hpp"
#include "common/slice_geometry.hpp"
#include "common/worker_thread.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace h5io {

class InputDataset {
public:
  // Opens `location` in `file`; throws Error naming the dataset and file if
  // it is missing, not a dataset, of a type h5io cannot deliver, or not of
  // rank 1 to 4. `file_name` is only for messages.
  InputDataset(hid_t file, const std::string& location, const std::string& file_name);

  const std::string& location() const { return location_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  h5io_dtype_t dtype() const { return dtype_; }
  size_t element_size() const { return h5io_dtype_size(dtype_); }
  // Chunk extents, empty when the dataset is not chunked.
  const std::vector<int64_t>& chunk() const { return chunk_; }
  h5io_dataspace_t dataspace() const;

  // The chunk extent along `axis` (1 when not chunked): units are aligned to it.
  int64_t chunk_extent(int axis) const { return chunk_.empty() ? 1 : chunk_[axis]; }

  // Reads the whole dataset in C order into `destination`.
  void read_whole(std::byte* destination);

  // Reads slices [first, first + count) along geometry.axis into
  // `destination`, slice-major ([count][slice elements]). HDF5 reads whole
  // chunks (each once per call, with one read straight from the file) into a
  // staging batch; a helper thread reorders one batch into place while HDF5
  // reads the next, so the reorder costs little beyond the read itself.
  void read_slices(const SliceGeometry& geometry, int64_t first, int64_t count,
                   std::byte* destination);

private:
  // Asks the kernel to start reading the chunks a unit will need, so that
  // the disk works on many of them at once instead of one pread at a time.
  // Only chunked datasets have a descriptor for these hints.
  void prefetch(std::span<const int64_t> start, std::span<const int64_t> extent,
                std::span<const int64_t> tile);
  void read_region(std::span<const int64_t> start, std::span<const int64_t> count,
                   std::byte* destination);

  std::string location_;
  std::string file_name_;
  hdf5::Dataset dataset_;
  std::vector<int64_t> shape_;
  std::vector<int64_t> chunk_;
  h5io_dtype_t dtype_ = H5IO_DTYPE_INVALID;
  std::vector<std::byte> staging_[2];
  std::unique_ptr<WorkerThread> reorder_; // started at the first sliced read
  FileDescriptor advice_fd_;              // the dataset's file, for read-ahead hints
};

} // namespace h5io
