#pragma once
// One 2-D image: what a slice of a 3-D input is, and what a TIFF holds.

#include "h5io_plugin.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace h5io::plugin {

struct ImageShape {
  int64_t rows = 0;
  int64_t cols = 0;
  h5io_dtype_t dtype = H5IO_DTYPE_INVALID;

  int64_t pixels() const { return rows * cols; }
  size_t bytes() const { return static_cast<size_t>(pixels()) * h5io_dtype_size(dtype); }
  bool operator==(const ImageShape&) const = default;
};

// "[256, 512] float32", for messages.
std::string describe(const ImageShape& shape);

} // namespace h5io::plugin
