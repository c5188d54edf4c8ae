// The two element-wise stages around cuFFT: multiplying each row's spectrum
// by its slice's filter kernel (written out as projection_filter.cpp does,
// so both back ends round the same way up to FMA contraction), and weighing
// the filtered rows by their angle's factor while interleaving 4 slices
// into the float4 layout the back-projection kernel reads.
#include "cuda_error.hpp"
#include "kernels.hpp"

namespace h5io::fbp::gpu {
namespace {

constexpr int kThreads = 256;

// One block per row.
__global__ void __launch_bounds__(kThreads)
    apply_filter(float2* __restrict__ spectra, int64_t angles, int64_t half,
                 const float2* __restrict__ kernels, int64_t kernel_stride) {
  const int64_t row = blockIdx.x;
  float2* s = spectra + row * half;
  const float2* k = kernels + (row / angles) * kernel_stride;
  for (int64_t i = threadIdx.x; i < half; i += kThreads) {
    const float2 a = s[i], b = k[i];
    s[i] = make_float2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
  }
}

// One block per (group, angle): four coalesced reads, one float4 write.
__global__ void __launch_bounds__(kThreads)
    weigh_and_interleave(const float* __restrict__ rows, int64_t row_stride, int64_t slices,
                         int64_t angles, int64_t cols, const float* __restrict__ factors,
                         float4* __restrict__ block) {
  const int64_t cell_row = blockIdx.x; // group * angles + p
  const int64_t group = cell_row / angles, p = cell_row % angles;
  const float factor = factors[p];
  const float* lane_rows[4];
  bool present[4];
  for (int l = 0; l < 4; ++l) {
    const int64_t slice = group * 4 + l;
    present[l] = slice < slices;
    lane_rows[l] = rows + (present[l] ? slice * angles + p : 0) * row_stride;
  }
  float4* out = block + cell_row * (cols + 1);
  for (int64_t u = threadIdx.x; u < cols; u += kThreads) {
    out[u] = make_float4(
        present[0] ? factor * lane_rows[0][u] : 0.0f, present[1] ? factor * lane_rows[1][u] : 0.0f,
        present[2] ? factor * lane_rows[2][u] : 0.0f, present[3] ? factor * lane_rows[3][u] : 0.0f);
  }
}

} // namespace

void launch_apply_filter(float2* spectra, int64_t rows, int64_t angles, int64_t half,
                         const float2* kernels, int64_t kernel_stride, cudaStream_t stream) {
  if (rows <= 0) return;
  apply_filter<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(spectra, angles, half, kernels,
                                                                     kernel_stride);
  check_launch("filter");
}

void launch_weigh_and_interleave(const float* fft_rows, int64_t row_stride, int64_t slices,
                                 int64_t angles, int64_t cols, const float* factors, float4* block,
                                 cudaStream_t stream) {
  const int64_t groups = (slices + 3) / 4;
  if (groups <= 0) return;
  weigh_and_interleave<<<static_cast<unsigned>(groups * angles), kThreads, 0, stream>>>(
      fft_rows, row_stride, slices, angles, cols, factors, block);
  check_launch("interleave");
}

} // namespace h5io::fbp::gpu
