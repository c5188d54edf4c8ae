#pragma once
// How an HDF5 dataset is stored (shape, type, chunking, filters), and the datasets a file holds:
// what `h5io inspect` reports and `h5io preview` searches, read without touching the data.

#include <hdf5.h>
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace h5io {

// One stage of a dataset's filter pipeline (compression, shuffle, checksum).
struct FilterInfo {
  int id = 0;                      // H5Z_filter_t: 1 gzip, 2 shuffle, 32000 lzf, 32001 blosc, ...
  std::string name;                // "gzip", "shuffle", "blosc", ... or HDF5's name for others
  std::string settings;            // "level 4", "lz4 level 5", "" when there is nothing to say
  bool compresses = false;         // false for shuffle, fletcher32 and other reordering/checks
  bool available = false;          // whether this HDF5 can run it (a plugin may be missing)
  std::string description() const; // "gzip (level 4)"
};

struct DatasetInfo {
  std::string path;
  // "FILE:/path" when the dataset is reached through an external link (the
  // dataset's own link or one of its groups'); "" when it is in this file.
  std::string link;
  std::vector<int64_t> shape;
  std::string dtype;    // "uint16", or HDF5's description of types h5io cannot deliver
  bool numeric = false; // a type h5io (and preview) can read as numbers
  size_t element_size = 0;
  std::string layout;         // "chunked", "contiguous", "compact" or "virtual"
  std::vector<int64_t> chunk; // empty unless chunked
  std::vector<FilterInfo> filters;

  int64_t elements() const;
  int64_t chunk_bytes() const; // 0 unless chunked
  // "none", or the filters in pipeline order: "shuffle + gzip (level 4)".
  std::string filter_summary() const;
};

// Facts about the dataset at `path` (external links followed); throws Error
// naming the dataset and `file_name` if it cannot be opened.
DatasetInfo inspect_dataset(hid_t file, const std::string& path, const std::string& file_name);

// Every dataset reachable from the root (each once), in name order, through
// hard, soft and external links alike: beamline files keep their frames in
// other files. External links that lead nowhere (a missing file or path) are
// added to `broken_links`, when given, as "PATH -> FILE:/path".
std::vector<DatasetInfo> list_datasets(hid_t file, const std::string& file_name,
                                       std::vector<std::string>* broken_links = nullptr);

// "FILE:/path" when `path` in `file` is itself an external link, else "".
std::string external_link_target(hid_t file, const std::string& path);

nlohmann::json to_json(const DatasetInfo& info);

} // namespace h5io
