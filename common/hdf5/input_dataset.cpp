#include "common/hdf5/input_dataset.hpp"

#include "common/hdf5/dtype.hpp"
#include "common/util/page_cache.hpp"
#include "common/util/shape_text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fcntl.h>
#include <filesystem>

namespace h5io {

namespace {

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* data) {
  auto* names = static_cast<std::vector<std::string>*>(data);
  names->emplace_back(name);
  return names->size() >= 12 ? 1 : 0; // enough for a message
}

std::string members_of(hid_t file, const std::string& group_path) {
  H5O_info_t info{};
  if (H5Oget_info_by_name2(file, group_path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
    hdf5::error_stack_summary();
    return "";
  }
  if (info.type != H5O_TYPE_GROUP) return fmt::format("; '{}' is not a group", group_path);
  hdf5::Group group(H5Gopen2(file, group_path.c_str(), H5P_DEFAULT));
  std::vector<std::string> names;
  H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names);
  hdf5::error_stack_summary();
  if (names.empty()) return fmt::format("; '{}' is empty", group_path);
  return fmt::format("; '{}' holds: {}{}", group_path, fmt::join(names, ", "),
                     names.size() >= 12 ? ", ..." : "");
}

// Walks the path one link at a time so the message says where it breaks.
void check_path(hid_t file, const std::string& location, const std::string& file_name) {
  std::string parent = "/";
  std::string prefix;
  size_t pos = 0;
  while (pos < location.size()) {
    const size_t next = location.find('/', pos);
    const std::string part =
        location.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    pos = next == std::string::npos ? location.size() : next + 1;
    if (part.empty()) continue;
    prefix += "/" + part;
    const htri_t exists = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
    hdf5::error_stack_summary();
    if (exists <= 0)
      throw Error(fmt::format("dataset '{}' not found in '{}': '{}' does not exist{}", location,
                              file_name, prefix, members_of(file, parent)));
    parent = prefix;
  }
}

// Calls visit(tile_start, tile_count) for every tile of the grid `tile` that
// meets the region [start, start + extent), clipped to it, in C order.
template <class Visit>
void for_each_tile(std::span<const int64_t> start, std::span<const int64_t> extent,
                   std::span<const int64_t> tile, Visit&& visit) {
  const size_t rank = start.size();
  std::vector<int64_t> first(rank), last(rank), index(rank), tile_start(rank), tile_count(rank);
  for (size_t d = 0; d < rank; ++d) {
    first[d] = start[d] / tile[d];
    last[d] = (start[d] + extent[d] - 1) / tile[d];
  }
  index = first;
  for (;;) {
    for (size_t d = 0; d < rank; ++d) {
      tile_start[d] = std::max(index[d] * tile[d], start[d]);
      tile_count[d] = std::min((index[d] + 1) * tile[d], start[d] + extent[d]) - tile_start[d];
    }
    visit(tile_start, tile_count);
    size_t d = rank;
    for (;;) {
      if (d == 0) return;
      --d;
      if (++index[d] <= last[d]) break;
      index[d] = first[d];
    }
  }
}

} // namespace

InputDataset::InputDataset(hid_t file, const std::string& location, const std::string& file_name)
    : file_(file), location_(location), file_name_(file_name), name_(location) {
  const std::string where = fmt::format("'{}' in '{}'", location, file_name);
  check_path(file, location, file_name);

  H5O_info_t info{};
  hdf5::check_status(
      H5Oget_info_by_name2(file, location.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT),
      fmt::format("cannot open {}", where));
  if (info.type != H5O_TYPE_DATASET)
    throw Error(fmt::format("{} is a {}, not a dataset", where,
                            info.type == H5O_TYPE_GROUP ? "group" : "named datatype"));

  // Units are aligned to chunks and each chunk is read exactly once, so a
  // chunk cache would only add a copy; without it HDF5 reads whole chunks
  // straight into the staging buffer.
  hdf5::PropertyList dapl(H5Pcreate(H5P_DATASET_ACCESS));
  H5Pset_chunk_cache(dapl.get(), H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, H5D_CHUNK_CACHE_W0_DEFAULT);
  dataset_ = hdf5::Dataset(hdf5::check(H5Dopen2(file, location.c_str(), dapl.get()),
                                       fmt::format("cannot open {}", where)));

  hdf5::Datatype type(H5Dget_type(dataset_.get()));
  dtype_ = dtype_of_hdf5_type(type.get());
  if (dtype_ == H5IO_DTYPE_INVALID)
    throw Error(fmt::format("{} holds {} values, which h5io cannot deliver to a library "
                            "(supported: {})",
                            where, describe_hdf5_type(type.get()), supported_dtype_names()));

  hdf5::Dataspace space(H5Dget_space(dataset_.get()));
  const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
  if (space_class != H5S_SIMPLE)
    throw Error(fmt::format("{} is {}; h5io needs an array of rank 1 to 4", where,
                            space_class == H5S_SCALAR ? "a scalar" : "empty (null dataspace)"));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 1 || rank > 4)
    throw Error(fmt::format("{} has rank {}; h5io reads datasets of rank 1 to 4", where, rank));
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  shape_.assign(dims.begin(), dims.end());
  if (std::find(shape_.begin(), shape_.end(), 0) != shape_.end())
    throw Error(fmt::format("{} is empty (shape {})", where, shape_text(shape_)));

  hdf5::PropertyList dcpl(H5Dget_create_plist(dataset_.get()));
  if (H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(static_cast<size_t>(rank));
    H5Pget_chunk(dcpl.get(), rank, chunk.data());
    chunk_.assign(chunk.begin(), chunk.end());
    // The file that holds the chunks (an external link may point elsewhere).
    const ssize_t length = H5Fget_name(dataset_.get(), nullptr, 0);
    std::string holder(static_cast<size_t>(std::max<ssize_t>(length, 0)), '\0');
    if (length > 0 && H5Fget_name(dataset_.get(), holder.data(), holder.size() + 1) > 0)
      advice_fd_ = FileDescriptor(::open(holder.c_str(), O_RDONLY | O_CLOEXEC));
    if (advice_fd_.valid() && cached_fraction(advice_fd_.get()).value_or(0.0) >= 0.99)
      advice_fd_.reset(); // already in memory (all but what HDF5 never reads, e.g. free space)
  }
}

InputDataset::InputDataset(hid_t file, const std::string& location, const std::string& file_name,
                           std::vector<FrameRange> frames, std::string name)
    : InputDataset(file, location, file_name) {
  name_ = std::move(name);
  int64_t total = 0;
  int64_t end = 0;
  for (const FrameRange& range : frames) {
    if (range.count < 1 || range.first < end || range.first + range.count > shape_[0])
      throw Error(fmt::format("internal error: frames {}+{} of '{}' in '{}' (of {} frames) are "
                              "out of order or out of range",
                              range.first, range.count, location, file_name, shape_[0]));
    end = range.first + range.count;
    total += range.count;
  }
  if (total == 0)
    throw Error(fmt::format("internal error: no frames selected from '{}'", location));
  // Every frame, in order, is no narrowing at all.
  if (!(frames.size() == 1 && total == shape_[0])) frames_ = std::move(frames);
  shape_[0] = total;
}

std::unique_ptr<InputDataset> InputDataset::whole_dataset() const {
  return std::make_unique<InputDataset>(file_, location_, file_name_);
}

std::unique_ptr<InputDataset> InputDataset::same_view_of(hid_t file, const std::string& location,
                                                         const std::string& file_name) const {
  const std::vector<FrameRange> frames =
      frames_.empty() ? std::vector<FrameRange>{{0, shape_[0]}} : frames_;
  auto view = std::make_unique<InputDataset>(file, location, file_name, frames, name_);
  if (view->shape() != shape_)
    throw Error(fmt::format("internal error: the copy '{}' of '{}' has another shape", location,
                            location_));
  return view;
}

std::string InputDataset::storage_key() const {
  // The file by its real path (each open through an external link may be a
  // file of its own to HDF5) and the object's address in it.
  H5O_info_t info{};
  hdf5::check_status(H5Oget_info2(dataset_.get(), &info, H5O_INFO_BASIC),
                     fmt::format("cannot identify '{}' in '{}'", location_, file_name_));
  std::error_code ec;
  const std::filesystem::path file = std::filesystem::weakly_canonical(storage_file(), ec);
  return fmt::format("{}:{}", file.string(), info.addr);
}

std::string InputDataset::storage_file() const {
  const ssize_t length = H5Fget_name(dataset_.get(), nullptr, 0);
  std::string name(static_cast<size_t>(std::max<ssize_t>(length, 0)), '\0');
  if (length > 0) H5Fget_name(dataset_.get(), name.data(), name.size() + 1);
  return name;
}

std::vector<InputDataset::Piece> InputDataset::pieces(int64_t first, int64_t count) const {
  if (frames_.empty()) return {Piece{first, count, first}};
  std::vector<Piece> result;
  int64_t view = 0;
  for (const FrameRange& range : frames_) {
    const int64_t lo = std::max(first, view);
    const int64_t hi = std::min(first + count, view + range.count);
    if (lo < hi) result.push_back(Piece{range.first + (lo - view), hi - lo, lo});
    view += range.count;
  }
  return result;
}

void InputDataset::prefetch(std::span<const int64_t> start, std::span<const int64_t> extent,
                            std::span<const int64_t> tile) {
  if (!advice_fd_.valid()) return;
  if (!chunk_map_)
    chunk_map_ = std::make_unique<ChunkMap>(dataset_.get(), shape_, chunk_, element_size());
  std::vector<int64_t> origin(start.size());
  for_each_tile(start, extent, tile, [&](std::span<const int64_t> s, std::span<const int64_t>) {
    // A chunk is known by its first element.
    for (size_t d = 0; d < s.size(); ++d) origin[d] = s[d] / tile[d] * tile[d];
    if (const std::optional<ChunkMap::Range> range = chunk_map_->find(origin))
      posix_fadvise(advice_fd_.get(), static_cast<off_t>(range->offset),
                    static_cast<off_t>(range->bytes), POSIX_FADV_WILLNEED);
  });
}

void InputDataset::read_region(std::span<const int64_t> start, std::span<const int64_t> count,
                               std::byte* destination) {
  const std::vector<hsize_t> file_start(start.begin(), start.end());
  const std::vector<hsize_t> file_count(count.begin(), count.end());
  hdf5::Dataspace file_space(H5Dget_space(dataset_.get()));
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, file_start.data(), nullptr,
                      file_count.data(), nullptr);
  hdf5::Dataspace memory_space(
      H5Screate_simple(static_cast<int>(file_count.size()), file_count.data(), nullptr));
  hdf5::check_status(H5Dread(dataset_.get(), native_hdf5_type(dtype_), memory_space.get(),
                             file_space.get(), H5P_DEFAULT, destination),
                     fmt::format("reading '{}' from '{}' failed", location_, file_name_));
}

void InputDataset::read_whole(std::byte* destination) {
  if (frames_.empty()) {
    hdf5::check_status(H5Dread(dataset_.get(), native_hdf5_type(dtype_), H5S_ALL, H5S_ALL,
                               H5P_DEFAULT, destination),
                       fmt::format("reading '{}' from '{}' failed", location_, file_name_));
    return;
  }
  std::vector<int64_t> start(shape_.size(), 0);
  std::vector<int64_t> extent(shape_);
  const size_t frame_bytes =
      static_cast<size_t>(SliceGeometry{shape_, 0, element_size()}.slice_bytes());
  for (const Piece& piece : pieces(0, shape_[0])) {
    start[0] = piece.file_first;
    extent[0] = piece.count;
    read_region(start, extent, destination + static_cast<size_t>(piece.view_first) * frame_bytes);
  }
}

void InputDataset::read_slices(const SliceGeometry& geometry, int64_t first, int64_t count,
                               std::byte* destination) {
  const size_t rank = shape_.size();
  std::vector<int64_t> extent(shape_);
  // The runs of file frames to read: along the first dimension only the
  // requested slices, otherwise every frame of this input.
  const std::vector<Piece> runs = geometry.axis == 0 ? pieces(first, count) : pieces(0, shape_[0]);
  if (geometry.axis != 0) extent[geometry.axis] = count;

  // Sliced along the first dimension, file order is slice-major already; a
  // single read per run is best unless chunks cut the other dimensions (then
  // a chunk would not be contiguous in the destination and HDF5 would split
  // it).
  const bool chunks_span_rows =
      chunk_.empty() || std::equal(chunk_.begin() + 1, chunk_.end(), shape_.begin() + 1);
  if (geometry.axis == 0 && chunks_span_rows) {
    std::vector<int64_t> start(rank, 0);
    for (const Piece& run : runs) {
      start[0] = run.file_first;
      extent[0] = run.count;
      read_region(start, extent,
                  destination +
                      static_cast<size_t>(run.view_first - first) * geometry.slice_bytes());
    }
    return;
  }

  // Tiles: the chunks, or for contiguous data runs of rows of ~4 MiB.
  std::vector<int64_t> tile = chunk_;
  if (tile.empty()) {
    tile = shape_;
    int64_t row_bytes = static_cast<int64_t>(element_size());
    for (size_t d = 1; d < rank; ++d) row_bytes *= extent[d];
    tile[0] = std::max<int64_t>(1, (int64_t{4} << 20) / row_bytes);
  }
  int64_t tile_elements = 1;
  for (const int64_t t : tile) tile_elements *= t;
  const size_t tile_bytes = static_cast<size_t>(tile_elements) * element_size();
  // Tiles are handed to the reorder thread in batches of about 2 MiB: few
  // hand-offs, and the batch still sits in the cache when it is reordered.
  const size_t batch_bytes = std::max(tile_bytes, size_t{2} << 20);
  for (auto& buffer : staging_) buffer.resize(batch_bytes);
  if (!reorder_) reorder_ = std::make_unique<WorkerThread>();

  struct Tile {
    std::vector<int64_t> start, count;
    size_t offset;
  };
  std::vector<Tile> batch;
  size_t filled = 0;
  int parity = 0;
  std::future<void> reordering;
  const auto hand_off = [&] {
    if (reordering.valid()) reordering.get();
    reordering =
        reorder_->submit([this, tiles = std::move(batch), parity, &geometry, first, destination] {
          for (const Tile& t : tiles)
            copy_region_to_slices(staging_[parity].data() + t.offset, t.start, t.count, geometry,
                                  first, destination);
        });
    batch = {};
    filled = 0;
    parity ^= 1;
  };

  // Where each run starts in the file: run by run, frame offsets map file
  // coordinates back to this input's (a no-op when nothing is narrowed).
  const auto run_start = [&](const Piece& run) {
    std::vector<int64_t> start(rank, 0);
    if (start.empty()) return start; // (datasets have rank 1 to 4)
    start[0] = run.file_first;
    if (geometry.axis != 0) start[static_cast<size_t>(geometry.axis)] = first;
    return start;
  };
  for (const Piece& run : runs) {
    extent[0] = run.count;
    prefetch(run_start(run), extent, tile); // a no-op for contiguous data (no descriptor)
  }
  try {
    for (const Piece& run : runs) {
      extent[0] = run.count;
      const int64_t shift = run.view_first - run.file_first;
      for_each_tile(run_start(run), extent, tile,
                    [&](std::span<const int64_t> tile_start, std::span<const int64_t> tile_count) {
                      size_t bytes = element_size();
                      for (const int64_t c : tile_count) bytes *= static_cast<size_t>(c);
                      if (filled + bytes > batch_bytes) hand_off();
                      // The reorder thread works on the other buffer meanwhile.
                      read_region(tile_start, tile_count, staging_[parity].data() + filled);
                      Tile placed{{tile_start.begin(), tile_start.end()},
                                  {tile_count.begin(), tile_count.end()},
                                  filled};
                      placed.start[0] += shift;
                      batch.push_back(std::move(placed));
                      filled += bytes;
                    });
    }
    hand_off();
    reordering.get();
  } catch (...) {
    // The reorder thread may still be using the buffers: let it finish.
    if (reordering.valid()) reordering.wait();
    throw;
  }
}

} // namespace h5io
