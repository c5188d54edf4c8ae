#pragma once
// Host-side launchers of tomo_fbp's CUDA kernels, one per stage. Each
// enqueues its kernel on `stream` and throws Error if the launch is
// refused; all pointers are device pointers. Layouts:
//   rows        [slices][P] detector rows, row r = slice * P + angle
//   fft rows    rows of `row_stride` floats (M padded values, in place
//               with their M/2+1 complex spectrum)
//   block       [groups][P][cols + 1] float4: lane l of group g is slice
//               4g + l; cell `cols` is always zero (the right neighbour of
//               the last column)

#include "h5io_plugin.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace h5io::fbp::gpu {

struct LineIntegralLaunch {
  const void* values = nullptr; // [rows][cols] of dtype
  h5io_dtype_t dtype = H5IO_UINT16;
  bool counts = true;             // raw counts: -log((I - dark) * inverse), else copy
  const float* dark = nullptr;    // [slices][cols] (counts only)
  const float* inverse = nullptr; // [slices][cols]
  int64_t rows = 0;
  int64_t angles = 0;
  int64_t cols = 0;
  int64_t padded = 0;     // M
  int64_t row_stride = 0; // floats from one fft row to the next
  bool edge_padding = true;
  float* fft_rows = nullptr;
};
// Line integrals of every row, padded to M values (edge or zero) in place.
void launch_line_integrals(const LineIntegralLaunch& launch, cudaStream_t stream);

// spectra[r][k] *= kernels[slice(r)][k] for k <= M/2; kernel_stride 0 means
// every slice shares kernels[0..M/2].
void launch_apply_filter(float2* spectra, int64_t rows, int64_t angles, int64_t half,
                         const float2* kernels, int64_t kernel_stride, cudaStream_t stream);

// block[g][p][u] lane l = factors[p] * filtered row (4g+l, p)[u] for u < cols
// (0 for lanes past `slices`).
void launch_weigh_and_interleave(const float* fft_rows, int64_t row_stride, int64_t slices,
                                 int64_t angles, int64_t cols, const float* factors, float4* block,
                                 cudaStream_t stream);

struct BackprojectLaunch {
  const float4* block = nullptr;
  int64_t angles = 0;
  int64_t cols = 0;                // N = cols, the image is N x N
  const float2* cos_sin = nullptr; // [P]
  float center = 0;
  int64_t slices = 0;
  bool masked = false;
  double mask_radius_squared = 0;
  float* images = nullptr; // [slices][N][N]
};
void launch_backproject(const BackprojectLaunch& launch, cudaStream_t stream);

} // namespace h5io::fbp::gpu
