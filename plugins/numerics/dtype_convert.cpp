// One template loop per ABI type; the compiler vectorises each.
#include "dtype_convert.hpp"

#include "plugin_error.hpp"

#include <cstring>

namespace h5io::numerics {
namespace {

template <class T> void convert(const void* in, int64_t n, float* out) {
  const auto* bytes = static_cast<const unsigned char*>(in);
  for (int64_t i = 0; i < n; ++i) {
    T value; // the host's buffers need not be aligned for T
    std::memcpy(&value, bytes + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    out[i] = static_cast<float>(value);
  }
}

} // namespace

bool is_supported_dtype(h5io_dtype_t dtype) {
  return h5io_dtype_size(dtype) != 0;
}

void convert_to_float(const void* in, h5io_dtype_t dtype, int64_t n, float* out) {
  switch (dtype) {
  case H5IO_INT8: convert<int8_t>(in, n, out); return;
  case H5IO_UINT8: convert<uint8_t>(in, n, out); return;
  case H5IO_INT16: convert<int16_t>(in, n, out); return;
  case H5IO_UINT16: convert<uint16_t>(in, n, out); return;
  case H5IO_INT32: convert<int32_t>(in, n, out); return;
  case H5IO_UINT32: convert<uint32_t>(in, n, out); return;
  case H5IO_INT64: convert<int64_t>(in, n, out); return;
  case H5IO_UINT64: convert<uint64_t>(in, n, out); return;
  case H5IO_FLOAT32: convert<float>(in, n, out); return;
  case H5IO_FLOAT64: convert<double>(in, n, out); return;
  default:
    throw plugin::Error("unsupported element type code " + std::to_string(static_cast<int>(dtype)));
  }
}

} // namespace h5io::numerics
