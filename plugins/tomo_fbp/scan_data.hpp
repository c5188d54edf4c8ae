#pragma once
// What the host delivers of a scan, as the core sees it: the shape, and
// runs of slices (detector rows) of raw frames in any ABI element type.

#include "h5io_plugin.h"

#include <cstddef>
#include <cstdint>

namespace h5io::fbp {

struct ScanShape {
  int64_t angles = 0; // P
  int64_t cols = 0;   // detector columns = N
  int64_t darks = 0;  // D (may be 0)
  int64_t flats = 0;  // F
};

// `count` consecutive slices of one input, slice_bytes apart.
struct RawSlices {
  const void* data = nullptr;
  h5io_dtype_t dtype = H5IO_FLOAT32;
  size_t slice_bytes = 0;
};

} // namespace h5io::fbp
