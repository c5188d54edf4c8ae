// The back-projection kernel: each thread owns 2 pixels (rows y and y + 8
// of its block's 32 x 16 tile) in 4 slices at once, and sums over every
// angle the filtered projection linearly interpolated at
//     u = c + (ix - h) cos(theta) - (iy - h) sin(theta)       (ARCHITECTURE.md)
// with the same float arithmetic and the same edge rule as the CPU kernel
// (backproject.cpp): positions outside [0, cols-1] add nothing, and the
// right neighbour of the last column is the block's zero cell.
//
// Interpolation is done by hand from two float4 loads through the
// read-only data cache (the L1/texture path), not by the texture unit's
// linear filtering: that stores the fraction in 8 bits (1/256 pixel), an
// error of up to ~2e-3 of the local difference per sample, which the
// agreement with the CPU path (relative L2 < 1e-3) does not leave room
// for. One float4 load serves 4 slices, so a pixel-angle step costs two
// 16-byte loads and 8 FMAs for 4 updates. The angles' cos/sin are staged
// in shared memory 256 at a time (any number of angles, no constant-memory
// limit).
#include "cuda_error.hpp"
#include "kernels.hpp"

#include <algorithm>

namespace h5io::fbp::gpu {
namespace {

constexpr int kBlockX = 32;
constexpr int kBlockY = 8;
constexpr int kRowsPerThread = 2;
constexpr int kTileY = kBlockY * kRowsPerThread;
constexpr int kAngleChunk = 256;
constexpr int kThreads = kBlockX * kBlockY;

__device__ float lane(const float4& v, int l) {
  return l == 0 ? v.x : l == 1 ? v.y : l == 2 ? v.z : v.w;
}

__global__ void __launch_bounds__(kThreads)
    backproject(const float4* __restrict__ block, int64_t angles, int64_t cols,
                const float2* __restrict__ cos_sin, float center, int64_t slices, bool masked,
                double mask_radius_squared, float* __restrict__ images) {
  __shared__ float2 trig[kAngleChunk];
  const int64_t n = cols, half = n / 2;
  const int64_t group = blockIdx.z;
  const int64_t ix = static_cast<int64_t>(blockIdx.x) * kBlockX + threadIdx.x;
  const float x = static_cast<float>(ix - half);
  const float last = static_cast<float>(cols - 1);
  const int64_t row_cells = cols + 1;

  int64_t iy[kRowsPerThread];
  float y[kRowsPerThread];
  bool live[kRowsPerThread];
  bool any_live = false;
  for (int r = 0; r < kRowsPerThread; ++r) {
    iy[r] = static_cast<int64_t>(blockIdx.y) * kTileY + threadIdx.y + r * kBlockY;
    y[r] = static_cast<float>(iy[r] - half);
    const double dx = static_cast<double>(ix - half), dy = static_cast<double>(iy[r] - half);
    live[r] = ix < n && iy[r] < n && !(masked && dx * dx + dy * dy > mask_radius_squared);
    any_live = any_live || live[r];
  }

  float4 acc[kRowsPerThread];
  for (int r = 0; r < kRowsPerThread; ++r) acc[r] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  const float4* group_rows = block + group * angles * row_cells;
  const int tid = threadIdx.y * kBlockX + threadIdx.x;

  for (int64_t p0 = 0; p0 < angles; p0 += kAngleChunk) {
    const int chunk = static_cast<int>(angles - p0 < kAngleChunk ? angles - p0 : kAngleChunk);
    __syncthreads(); // the previous chunk is no longer read
    for (int i = tid; i < chunk; i += kThreads) trig[i] = cos_sin[p0 + i];
    __syncthreads();
    if (!any_live) continue;
    const float4* rows = group_rows + p0 * row_cells;
    for (int b = 0; b < chunk; ++b) {
      const float2 cs = trig[b];
      const float4* row = rows + b * row_cells;
#pragma unroll
      for (int r = 0; r < kRowsPerThread; ++r) {
        const float u = x * cs.x + (center - y[r] * cs.y);
        if (live[r] && u >= 0.0f && u <= last) {
          const int i = static_cast<int>(u); // truncation = floor for u >= 0
          const float f = u - static_cast<float>(i);
          const float4 q0 = __ldg(row + i);
          const float4 q1 = __ldg(row + i + 1);
          acc[r].x += q0.x + f * (q1.x - q0.x);
          acc[r].y += q0.y + f * (q1.y - q0.y);
          acc[r].z += q0.z + f * (q1.z - q0.z);
          acc[r].w += q0.w + f * (q1.w - q0.w);
        }
      }
    }
  }

  const int64_t lanes = slices - group * 4 < 4 ? slices - group * 4 : 4;
  for (int r = 0; r < kRowsPerThread; ++r) {
    if (ix >= n || iy[r] >= n) continue;
    for (int l = 0; l < lanes; ++l)
      images[(group * 4 + l) * n * n + iy[r] * n + ix] = live[r] ? lane(acc[r], l) : 0.0f;
  }
}

} // namespace

void launch_backproject(const BackprojectLaunch& l, cudaStream_t stream) {
  const int64_t groups = (l.slices + 3) / 4;
  if (groups <= 0 || l.cols <= 0) return;
  if (groups > 65535) throw Error("too many slices in one GPU batch (at most 262140)");
  const dim3 grid(static_cast<unsigned>((l.cols + kBlockX - 1) / kBlockX),
                  static_cast<unsigned>((l.cols + kTileY - 1) / kTileY),
                  static_cast<unsigned>(groups));
  backproject<<<grid, dim3(kBlockX, kBlockY), 0, stream>>>(l.block, l.angles, l.cols, l.cos_sin,
                                                           l.center, l.slices, l.masked,
                                                           l.mask_radius_squared, l.images);
  check_launch("back-projection");
}

} // namespace h5io::fbp::gpu
