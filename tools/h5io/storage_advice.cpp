#include "storage_advice.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace h5io::cli {

namespace {

std::string size_text(int64_t bytes) {
  if (bytes >= 1024 * 1024) return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1048576);
  return fmt::format("{:.1f} KB", static_cast<double>(bytes) / 1024);
}

// A rechunking command with the shape h5io reads best: several frames,
// a band of rows, whole rows of columns.
std::string rechunk_hint(const DatasetInfo& frames) {
  return fmt::format("h5repack -l {}:CHUNK={}x{}x{} IN.h5 OUT.h5", frames.path,
                     std::min<int64_t>(8, frames.shape[0]), std::min<int64_t>(16, frames.shape[1]),
                     frames.shape[2]);
}

bool is_slow_codec(const FilterInfo& filter) {
  return filter.name == "gzip" || filter.name == "szip" ||
         (filter.name == "blosc" && filter.settings.starts_with("zlib"));
}

void compression_warnings(const DatasetInfo& frames, std::vector<std::string>& warnings) {
  const bool compressed = std::any_of(frames.filters.begin(), frames.filters.end(),
                                      [](const FilterInfo& f) { return f.compresses; });
  if (compressed) {
    const bool slow = std::any_of(frames.filters.begin(), frames.filters.end(), is_slow_codec);
    warnings.push_back(fmt::format(
        "the frames are compressed ({}): every chunk read is decompressed by the reading rank; {}",
        frames.filter_summary(),
        slow ? "gzip/szip decompress at roughly 100-300 MB/s per core, often slower than the disk "
               "- a fast codec (lz4, blosc-lz4, bitshuffle) or none reads several times faster"
             : "this codec is fast (around 1 GB/s per core) and usually costs less than the disk "
               "time it saves"));
  }
  for (const FilterInfo& filter : frames.filters)
    if (!filter.available)
      warnings.push_back(fmt::format(
          "filter {} (id {}) is not available to this HDF5 library: the frames cannot be read. "
          "Install its plugin (e.g. hdf5plugin, or Debian's hdf5-filter-plugin) and point "
          "HDF5_PLUGIN_PATH at it",
          filter.name, filter.id));
}

} // namespace

std::vector<std::string> storage_warnings(const DatasetInfo& frames) {
  std::vector<std::string> warnings;
  if (frames.shape.size() != 3) return warnings;
  const int64_t count = frames.shape[0], columns = frames.shape[2];
  if (frames.layout == "contiguous" && count > 1)
    warnings.push_back(fmt::format(
        "the frames are stored contiguously (not chunked): a sinogram read takes a few rows from "
        "each of the {} frames, {} separate small reads; fine on a local SSD, slow on network and "
        "parallel file systems. Rechunk with {}",
        count, count, rechunk_hint(frames)));
  if (frames.layout == "virtual")
    warnings.push_back("the frames are a virtual dataset: every read goes through its source "
                       "files, whose own chunking decides the speed");
  if (frames.layout == "chunked") {
    const int64_t bytes = frames.chunk_bytes();
    if (frames.chunk[0] == 1 && count > 1)
      warnings.push_back(fmt::format(
          "one frame per chunk (chunks [{}]): {}every sinogram read touches a chunk of each of "
          "the {} frames. h5io therefore copies the frames once, reading each chunk{} once, into "
          "a scratch file chunked for sinogram reads (reslicing: one more write and read of the "
          "frames, in the output's directory) when reading them directly would leave ranks idle "
          "or exceed the memory budget. For a scan processed many times, rechunk it once "
          "instead: {}",
          fmt::join(frames.chunk, ", "),
          frames.chunk[1] >= frames.shape[1] ? "each chunk holds a row of every sinogram, so "
                                             : "",
          count, frames.filters.empty() ? "" : " (and decompressing it)", rechunk_hint(frames)));
    if (bytes > kLargeChunkBytes)
      warnings.push_back(fmt::format(
          "chunks of {} are large: reading a few rows means reading{} whole chunks, most of which "
          "is then thrown away; 64 KB to 4 MB suits sinogram reads",
          size_text(bytes), frames.filters.empty() ? "" : " and decompressing"));
    if (bytes < kSmallChunkBytes)
      warnings.push_back(fmt::format(
          "chunks of {} are small: HDF5 pays a fixed cost per chunk (index lookup, one read{}), "
          "which dominates below 64 KB; aim for 64 KB to 4 MB",
          size_text(bytes), frames.filters.empty() ? "" : ", one decompression"));
    if (frames.chunk[2] < columns)
      warnings.push_back(fmt::format(
          "chunks span {} of the {} columns: every row is split over {} chunks; chunks spanning "
          "whole rows read faster",
          frames.chunk[2], columns, (columns + frames.chunk[2] - 1) / frames.chunk[2]));
  }
  compression_warnings(frames, warnings);
  return warnings;
}

} // namespace h5io::cli
