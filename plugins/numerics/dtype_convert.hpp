#pragma once
// Reading the host's typed values as float. Scans arrive in whatever type
// the file stores (usually uint16); every later stage works on float.

#include "h5io_plugin.h"

#include <cstdint>

namespace h5io::numerics {

// out[i] = (float)in[i] for i < n, where `in` holds values of `dtype`.
// Throws Error for H5IO_DTYPE_INVALID or an unknown code.
void convert_to_float(const void* in, h5io_dtype_t dtype, int64_t n, float* out);

// True for the ten element types of the ABI.
bool is_supported_dtype(h5io_dtype_t dtype);

} // namespace h5io::numerics
