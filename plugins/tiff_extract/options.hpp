#pragma once
// tiff_extract's job parameters, read and checked at h5io_init so a bad
// value fails the job before any data are read.

#include "h5io_plugin.h"
#include "slice_input.hpp"
#include "tiff_writer.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace h5io::extract {

struct Options {
  // A reconstructed volume [slices, N, N], cut into its slices.
  plugin::SliceInput input{"/entry/reconstruction/data", 0};
  std::filesystem::path directory; // required; made absolute
  std::string prefix = "slice_";
  int digits = 0;                    // 0: enough for the slice count, at least 5
  std::optional<h5io_dtype_t> dtype; // empty: keep the input's type
  double scale = 1;
  double offset = 0;
  bool overwrite = false;
  tiff::Compression compression = tiff::Compression::none;
  std::string output = "/tiff_extract"; // group of the per-slice records
};

// Throws plugin::Error for an unknown key or an unusable value.
Options parse_options(const h5io_global_params_t& params);

// The per-slice file names are stored NUL-padded in this many bytes.
constexpr int kNameBytes = 64;

} // namespace h5io::extract
