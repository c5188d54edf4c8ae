#pragma once
// Darks and flats that live in files of their own, as I12 writes them
// (dark_field.h5 and flat_field.h5 beside the scan): scan.darks=FILE:/path
// names the dataset /path in FILE, FILE absolute or relative to the scan's
// directory; a plain /path is a dataset of the scan file. The other files
// are opened the way the scan is (read-only, collective MPI-IO over the
// group) and stay open as long as the inputs that read them.

#include "common/hdf5/hdf5_handle.hpp"
#include "common/mpi/mpi_group.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace h5io {

// A dataset, in the scan file or in another one.
struct DatasetRef {
  std::filesystem::path file; // empty: the scan file itself
  std::string path;           // the dataset inside the file
};

// "FILE:/path" (split at the last ":/") or a path in the scan file (no
// ":/" in it). Throws Error naming `key` (e.g. "scan.darks") for a file
// name with no dataset ("dark_field.h5") or an empty file name.
DatasetRef parse_dataset_ref(const std::string& key, const std::string& text);

// `file` as an absolute, normalised path: a relative name is taken from the
// directory of `scan_file`.
std::filesystem::path resolve_beside(const std::filesystem::path& scan_file,
                                     const std::filesystem::path& file);

// The other files of one scan, opened once each, in the order they are
// asked for. Every member function is collective over the group: every rank
// must ask for the same files in the same order (discover_scan does, since
// every rank reads the same metadata).
class ScanFiles {
public:
  // `scan_file` as the job names it: its directory anchors relative names.
  ScanFiles(const Group& group, std::filesystem::path scan_file);
  ScanFiles(const ScanFiles&) = delete;
  ScanFiles& operator=(const ScanFiles&) = delete;

  // The file `file` (resolved beside the scan) open read-only, opened on
  // first use. `what` names it in messages ("scan.darks file"). Throws the
  // same Error on every rank when it is missing, unreadable or not HDF5.
  hid_t open(const std::filesystem::path& file, const std::string& what);

  // A file open() opened, by its resolved path; throws Error otherwise.
  hid_t get(const std::filesystem::path& resolved) const;

  const std::filesystem::path& scan_file() const { return scan_file_; }

private:
  const Group& group_;
  std::filesystem::path scan_file_;
  std::vector<std::pair<std::filesystem::path, hdf5::File>> files_;
};

} // namespace h5io
