#pragma once
// What tiff_extract computes per slice besides the file: the value range of
// the slice as read, and, when the user asks for another element type, the
// converted values value*scale+offset, clamped to the target's range
// (integers rounded half away from zero; NaN becomes 0 in an integer image).

#include "h5io_plugin.h"

#include <cstdint>

namespace h5io::extract {

struct ValueRange {
  double min = 0; // NaN when every value is NaN
  double max = 0;
};

// The smallest and largest of `count` values, NaN ignored.
ValueRange value_range(const void* values, h5io_dtype_t dtype, int64_t count);

struct Conversion {
  h5io_dtype_t target = H5IO_FLOAT32; // uint8, int16, uint16 or float32
  double scale = 1;
  double offset = 0;
};

// Writes `count` converted values to `out` (of conversion.target) and
// returns how many had to be clamped (or were NaN for an integer target).
uint64_t convert_values(const void* values, h5io_dtype_t dtype, int64_t count,
                        const Conversion& conversion, void* out);

} // namespace h5io::extract
