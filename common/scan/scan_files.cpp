#include "common/scan/scan_files.hpp"

#include "common/hdf5/input_file.hpp"
#include "common/util/error.hpp"

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace h5io {

namespace {

// "dark_field.h5" alone: a file, where a dataset was expected.
bool looks_like_a_file_name(const std::string& text) {
  const std::string extension = fs::path(text).extension().string();
  for (const char* known : {".h5", ".hdf5", ".hdf", ".nxs", ".nx5", ".he5"})
    if (extension == known) return true;
  return false;
}

} // namespace

DatasetRef parse_dataset_ref(const std::string& key, const std::string& text) {
  // At the last ":/": directories hold a colon more often than HDF5 paths
  // do, and an absolute FILE starts with '/' too.
  const size_t split = text.rfind(":/");
  if (split == std::string::npos && !looks_like_a_file_name(text)) return DatasetRef{{}, text};
  if (split == std::string::npos || split == 0)
    throw Error(fmt::format("{}='{}' names no dataset: write {}=/path for a dataset in the scan "
                            "file, or {}=FILE:/path for one in another file (FILE relative to "
                            "the scan's directory, or absolute)",
                            key, text, key, key));
  return DatasetRef{fs::path(text.substr(0, split)), text.substr(split + 1)};
}

fs::path resolve_beside(const fs::path& scan_file, const fs::path& file) {
  if (file.is_absolute()) return file.lexically_normal();
  return (fs::absolute(scan_file).parent_path() / file).lexically_normal();
}

ScanFiles::ScanFiles(const Group& group, fs::path scan_file)
    : group_(group), scan_file_(std::move(scan_file)) {}

hid_t ScanFiles::open(const fs::path& file, const std::string& what) {
  const fs::path resolved = resolve_beside(scan_file_, file);
  for (const auto& [path, handle] : files_)
    if (path == resolved) return handle.get();
  // Checked and agreed first, so that no rank enters the collective open
  // while another has already given up.
  collectively(group_, [&] { check_input_file(resolved, what); });
  hdf5::File opened;
  collectively(group_, [&] { opened = open_input_file(group_, resolved, what); });
  files_.emplace_back(resolved, std::move(opened));
  return files_.back().second.get();
}

hid_t ScanFiles::get(const fs::path& resolved) const {
  for (const auto& [path, handle] : files_)
    if (path == resolved) return handle.get();
  throw Error(
      fmt::format("internal error: '{}' was never opened for this scan", resolved.string()));
}

} // namespace h5io
