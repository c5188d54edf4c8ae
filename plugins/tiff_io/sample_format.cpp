#include "sample_format.hpp"

#include <tiffio.h>

namespace h5io::tiff {

SampleFormat sample_format_of(h5io_dtype_t dtype) {
  const auto bits = static_cast<uint16_t>(8 * h5io_dtype_size(dtype));
  switch (dtype) {
  case H5IO_UINT8:
  case H5IO_UINT16:
  case H5IO_UINT32:
  case H5IO_UINT64: return {SAMPLEFORMAT_UINT, bits};
  case H5IO_INT8:
  case H5IO_INT16:
  case H5IO_INT32:
  case H5IO_INT64: return {SAMPLEFORMAT_INT, bits};
  case H5IO_FLOAT32:
  case H5IO_FLOAT64: return {SAMPLEFORMAT_IEEEFP, bits};
  default: return {};
  }
}

std::optional<h5io_dtype_t> dtype_of(SampleFormat sample) {
  const uint16_t format = sample.format == SAMPLEFORMAT_VOID ? SAMPLEFORMAT_UINT : sample.format;
  for (h5io_dtype_t dtype : {H5IO_INT8, H5IO_UINT8, H5IO_INT16, H5IO_UINT16, H5IO_INT32,
                             H5IO_UINT32, H5IO_INT64, H5IO_UINT64, H5IO_FLOAT32, H5IO_FLOAT64}) {
    const SampleFormat s = sample_format_of(dtype);
    if (s.format == format && s.bits == sample.bits) return dtype;
  }
  return std::nullopt;
}

} // namespace h5io::tiff
