#pragma once
// external_process's job parameters, read and checked at h5io_init (the
// program is looked up then) so a bad value fails the job before any data
// are read.

#include "command_template.hpp"
#include "h5io_plugin.h"
#include "slice_input.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace h5io::external {

struct Options {
  // Sinograms of a [frames, rows, cols] stack by default.
  plugin::SliceInput input{"/entry/data/data", 1};
  CommandTemplate command; // required
  double timeout = 600;    // seconds per slice
  // The program's output per slice: output_shape=ROWS,COLS, or the input
  // slice's shape with output_like_input=true. The host needs it before any
  // slice is processed, so it cannot be learnt from the first result.
  std::optional<plugin::ImageShape> output_shape; // its dtype: output_dtype or float32
  bool output_like_input = false;
  // Empty: float32 with output_shape, the input's type with output_like_input.
  std::optional<h5io_dtype_t> output_dtype;
  std::string output = "/external/data";
  bool keep_temporaries = false;
  std::filesystem::path tmpdir; // $TMPDIR, else /tmp
};

// Throws plugin::Error for an unknown key or an unusable value. `search_path`
// is PATH, where a command's program without a '/' is looked for.
Options parse_options(const h5io_global_params_t& params, std::string_view search_path);

// Where the per-slice run times go: "<parent group of output>/seconds".
std::string seconds_location(const std::string& output);

} // namespace h5io::external
