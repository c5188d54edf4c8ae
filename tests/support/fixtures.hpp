#pragma once
// Small HDF5 input files for tests, written with serial HDF5.

#include "common/hdf5/hdf5_handle.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace h5io::test {

// Creates (truncates) an HDF5 file.
hdf5::File create_file(const std::filesystem::path& path);

// Writes a dataset at `path` (intermediate groups created) of `type` (an
// HDF5 native type) from `data` (C order), chunked if `chunk` is not empty.
void write_dataset(hid_t file, const std::string& path, hid_t type,
                   const std::vector<int64_t>& shape, const void* data,
                   const std::vector<int64_t>& chunk = {});

template <class T>
void write_dataset(hid_t file, const std::string& path, hid_t type,
                   const std::vector<int64_t>& shape, const std::vector<T>& data,
                   const std::vector<int64_t>& chunk = {}) {
  write_dataset(file, path, type, shape, static_cast<const void*>(data.data()), chunk);
}

// Values 0, 1, 2, ... converted to T (wrapping as T does).
template <class T> std::vector<T> iota_values(size_t n) {
  std::vector<T> values(n);
  for (size_t i = 0; i < n; ++i) values[i] = static_cast<T>(i % 65521);
  return values;
}

} // namespace h5io::test
