#pragma once
// One input dataset of a job: what it holds (shape, dtype, chunking) and the
// reads the pipeline makes of it, delivered slice-major. It may be narrowed
// to some of its frames (first dimension), e.g. a scan's projections without
// the dark and flat frames stored in the same dataset.

#include "common/hdf5/chunk_map.hpp"
#include "common/hdf5/hdf5_handle.hpp"
#include "common/hdf5/input_source.hpp"
#include "common/util/file_descriptor.hpp"
#include "common/util/worker_thread.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace h5io {

// Frames [first, first + count) of a dataset.
struct FrameRange {
  int64_t first = 0;
  int64_t count = 0;
  bool operator==(const FrameRange&) const = default;
};

class InputDataset final : public InputSource {
public:
  // Opens `location` in `file`; throws Error naming the dataset and file if
  // it is missing, not a dataset, of a type h5io cannot deliver, or not of
  // rank 1 to 4. `file_name` is only for messages.
  InputDataset(hid_t file, const std::string& location, const std::string& file_name);

  // The same, narrowed to `frames` (in order, within the dataset, not
  // empty): the input then looks like a dataset of just those frames.
  // `name` is what messages call it (e.g. "scan:darks").
  InputDataset(hid_t file, const std::string& location, const std::string& file_name,
               std::vector<FrameRange> frames, std::string name);

  const std::string& location() const override { return name_; }
  const std::vector<int64_t>& shape() const override { return shape_; }
  h5io_dtype_t dtype() const override { return dtype_; }
  // Chunk extents, empty when the dataset is not chunked.
  const std::vector<int64_t>& chunk() const { return chunk_; }
  int64_t chunk_extent(int axis) const override { return chunk_.empty() ? 1 : chunk_[axis]; }

  // Whether sliced reads first advise the kernel of the chunks they need:
  // a chunked dataset in a file not already in the page cache when it was
  // opened.
  bool advises_reads() const { return advice_fd_.valid(); }

  void read_whole(std::byte* destination) override;

  // The frames of the stored dataset this input shows (empty: every frame).
  const std::vector<FrameRange>& frames() const { return frames_; }
  // The stored dataset itself, every frame (for reslicing it).
  std::unique_ptr<InputDataset> whole_dataset() const;
  // The same view (frames, name) of another dataset of the same shape: the
  // copy the reslicing made of this one's stored dataset.
  std::unique_ptr<InputDataset> same_view_of(hid_t file, const std::string& location,
                                             const std::string& file_name) const;
  // Identifies the stored object (file and address), so inputs that are
  // views of one dataset (a scan's darks, flats and projections) are known
  // to share it.
  std::string storage_key() const;
  // The file that holds the data (the target of an external link).
  std::string storage_file() const;

  // HDF5 reads whole chunks (each once per call, with one read straight from
  // the file) into a staging batch; a helper thread reorders one batch into
  // place while HDF5 reads the next, so the reorder costs little beyond the
  // read itself.
  void read_slices(const SliceGeometry& geometry, int64_t first, int64_t count,
                   std::byte* destination) override;

private:
  // A run of frames of the file that lands at `view_first` in this input.
  struct Piece {
    int64_t file_first;
    int64_t count;
    int64_t view_first;
  };
  // The runs of file frames behind this input's frames [first, first + count).
  std::vector<Piece> pieces(int64_t first, int64_t count) const;

  // Asks the kernel to start reading the chunks a unit will need, so that
  // the disk works on many of them at once instead of one pread at a time.
  // Where they are comes from a ChunkMap: HDF5 1.10 finds one chunk's
  // address by walking the dataset's whole chunk index
  // (H5Dget_chunk_info_by_coord; 1.14's H5Dchunk_iter, one walk for all, is
  // not in Debian 12), so asking for every chunk is quadratic in their
  // number: here ~35 us a lookup among 4096 chunks, ~310 us among 32768,
  // where a cold sinogram read of 270 MB in 8 KiB chunks took 19 s with a
  // lookup for each and 1.3 s without.
  // Only datasets that advises_reads() have a descriptor for these hints.
  void prefetch(std::span<const int64_t> start, std::span<const int64_t> extent,
                std::span<const int64_t> tile);
  void read_region(std::span<const int64_t> start, std::span<const int64_t> count,
                   std::byte* destination);

  hid_t file_ = H5I_INVALID_HID; // not owned: the pipeline keeps it open
  std::string location_;
  std::string file_name_;
  std::string name_;
  std::vector<FrameRange> frames_; // empty: every frame
  hdf5::Dataset dataset_;
  std::vector<int64_t> shape_;
  std::vector<int64_t> chunk_;
  h5io_dtype_t dtype_ = H5IO_DTYPE_INVALID;
  std::vector<std::byte> staging_[2];
  std::unique_ptr<WorkerThread> reorder_; // started at the first sliced read
  FileDescriptor advice_fd_;              // the dataset's file, for read-ahead hints
  std::unique_ptr<ChunkMap> chunk_map_;   // made at the first hint
};

} // namespace h5io
