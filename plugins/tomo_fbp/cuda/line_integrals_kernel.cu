// Normalisation and -log on the GPU, with the rules of normalise.hpp: the
// per-column dark level and 1/(flat - dark) come from the host (computed by
// the CPU code, 0 where the flat field is unusable); here each value is
// converted to float, normalised, clamped at 1e-6 and logged, and written
// straight into its padded FFT row, so no separate padding pass is needed.
#include "cuda_error.hpp"
#include "kernels.hpp"

#include <cstdint>

namespace h5io::fbp::gpu {
namespace {

constexpr int kThreads = 256;
constexpr float kMinTransmission = 1e-6f;

__device__ float line_integral(float value, float dark, float inverse) {
  float t = inverse != 0.0f ? (value - dark) * inverse : 1.0f;
  if (!isfinite(t)) t = 1.0f;
  return -logf(fmaxf(t, kMinTransmission));
}

// One block per detector row.
template <class T>
__global__ void __launch_bounds__(kThreads)
    line_integrals(const T* __restrict__ values, bool counts, const float* __restrict__ dark,
                   const float* __restrict__ inverse, int64_t angles, int64_t cols, int64_t padded,
                   int64_t row_stride, bool edge, float* __restrict__ out) {
  const int64_t row = blockIdx.x;
  const int64_t slice = row / angles;
  const T* in = values + row * cols;
  float* o = out + row * row_stride;
  const int64_t tail = padded - cols;
  for (int64_t j = threadIdx.x; j < padded; j += kThreads) {
    int64_t u = j;
    if (j >= cols) {
      if (!edge) {
        o[j] = 0.0f;
        continue;
      }
      // The last value after the data, the first before it (at the end of
      // the circular buffer), as projection_filter.cpp pads.
      u = j < cols + tail / 2 ? cols - 1 : 0;
    }
    const float v = static_cast<float>(in[u]);
    o[j] = counts ? line_integral(v, dark[slice * cols + u], inverse[slice * cols + u])
                  : (isfinite(v) ? v : 0.0f);
  }
}

template <class T> void launch(const LineIntegralLaunch& l, cudaStream_t stream) {
  line_integrals<T><<<static_cast<unsigned>(l.rows), kThreads, 0, stream>>>(
      static_cast<const T*>(l.values), l.counts, l.dark, l.inverse, l.angles, l.cols, l.padded,
      l.row_stride, l.edge_padding, l.fft_rows);
}

} // namespace

void launch_line_integrals(const LineIntegralLaunch& l, cudaStream_t stream) {
  if (l.rows <= 0) return;
  switch (l.dtype) {
  case H5IO_INT8: launch<int8_t>(l, stream); break;
  case H5IO_UINT8: launch<uint8_t>(l, stream); break;
  case H5IO_INT16: launch<int16_t>(l, stream); break;
  case H5IO_UINT16: launch<uint16_t>(l, stream); break;
  case H5IO_INT32: launch<int32_t>(l, stream); break;
  case H5IO_UINT32: launch<uint32_t>(l, stream); break;
  case H5IO_INT64: launch<int64_t>(l, stream); break;
  case H5IO_UINT64: launch<uint64_t>(l, stream); break;
  case H5IO_FLOAT32: launch<float>(l, stream); break;
  case H5IO_FLOAT64: launch<double>(l, stream); break;
  default:
    throw Error("the GPU back end cannot read values of element type code " +
                std::to_string(static_cast<int>(l.dtype)));
  }
  check_launch("normalisation");
}

} // namespace h5io::fbp::gpu
