// The back-projection kernels; see backproject.hpp.
//
// Inner step, for one angle and 8 neighbouring pixels of one image row: the
// 8 detector positions are computed as one vector, split into cell offsets
// and fractions, and each pixel then does, for all 8 slices at once,
//     acc += q0 + f * (q1 - q0)        (q0, q1: two 32-byte loads)
// Each pixel's 8 accumulators stay in a register across a block of angles;
// the block's detector span for one tile stays in L1 for all the tile's rows.
// Written with GCC vector extensions: the same body is compiled twice, once
// inside a target("avx2,fma") function (where GCC contracts the multiply-add
// into FMA) and once for the baseline ISA.
#include "backproject.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace h5io::fbp {
namespace {

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

// Tile and angle-block sizes: a 32 x 32 tile spans at most ~46 detector
// cells per angle (46 * 32 bytes); 16 angles of that is ~23 KiB, inside the
// 32 KiB L1 of the machines we target, while the tile's accumulators
// (32 KiB) are touched once per block and live in L2.
constexpr int kTileW = 32;
constexpr int kTileH = 32;
constexpr int kAngleBlock = 16;

struct TileArgs {
  const float* block;
  int64_t row_floats;
  int64_t angles;
  const float* cos;
  const float* sin;
  float center;
  float last_column; // cols - 1
  int32_t zero_cell;
  int64_t half; // floor(N/2)
};

// acc: [kTileH][kTileW][8], summed into.
__attribute__((always_inline)) inline void tile_body(const TileArgs& a, int64_t x0, int64_t y0,
                                                     float* acc) {
  constexpr int kGroups = kTileW / kLanes;
  v8f xs[kGroups];
  for (int g = 0; g < kGroups; ++g)
    for (int l = 0; l < kLanes; ++l) xs[g][l] = static_cast<float>(x0 + g * kLanes + l - a.half);
  const v8f zero_f = {};
  const v8f last = zero_f + a.last_column;
  const v8i zero_cell = v8i{} + a.zero_cell;
  alignas(32) float base[kAngleBlock];

  for (int64_t p0 = 0; p0 < a.angles; p0 += kAngleBlock) {
    const int count = static_cast<int>(std::min<int64_t>(kAngleBlock, a.angles - p0));
    const float* cosb = a.cos + p0;
    const float* sinb = a.sin + p0;
    const float* rows = a.block + p0 * a.row_floats;
    for (int ty = 0; ty < kTileH; ++ty) {
      const float y = static_cast<float>(y0 + ty - a.half);
      for (int b = 0; b < count; ++b) base[b] = a.center - y * sinb[b];
      for (int g = 0; g < kGroups; ++g) {
        float* accp = acc + (ty * kTileW + g * kLanes) * kLanes;
        // Loaded one by one (not as one array copy) so the compiler keeps
        // all 8 in registers for the whole angle block.
        v8f sum[kLanes];
#pragma GCC unroll 8
        for (int k = 0; k < kLanes; ++k) std::memcpy(&sum[k], accp + k * kLanes, sizeof(v8f));
        for (int b = 0; b < count; ++b) {
          const float* row = rows + b * a.row_floats;
          const v8f u = xs[g] * cosb[b] + base[b];
          const v8i cell = __builtin_convertvector(u, v8i); // truncation = floor for u >= 0
          const v8f frac = u - __builtin_convertvector(cell, v8f);
          const v8i inside = (u >= zero_f) & (u <= last);
          const v8i offset = inside ? cell * kLanes : zero_cell;
          const v8f weight = inside ? frac : zero_f;
          // Lanes are taken out of registers (extract, shuffle): storing the
          // vectors and reloading single lanes would stall on store-to-load
          // forwarding, which measured ~20 % slower.
#pragma GCC unroll 8
          for (int k = 0; k < kLanes; ++k) {
            v8f q0, q1;
            std::memcpy(&q0, row + offset[k], sizeof(q0));
            std::memcpy(&q1, row + offset[k] + kLanes, sizeof(q1));
            const v8f w = __builtin_shuffle(weight, v8i{} + k);
            sum[k] += q0 + w * (q1 - q0);
          }
        }
#pragma GCC unroll 8
        for (int k = 0; k < kLanes; ++k) std::memcpy(accp + k * kLanes, &sum[k], sizeof(v8f));
      }
    }
  }
}

__attribute__((target("avx2,fma"))) void tile_avx2(const TileArgs& a, int64_t x0, int64_t y0,
                                                   float* acc) {
  tile_body(a, x0, y0, acc);
}

void tile_portable(const TileArgs& a, int64_t x0, int64_t y0, float* acc) {
  tile_body(a, x0, y0, acc);
}

} // namespace

BackprojectionGeometry::BackprojectionGeometry(int64_t n, double c, std::span<const double> angles)
    : size(n), center(c) {
  cos.reserve(angles.size());
  sin.reserve(angles.size());
  for (const double theta : angles) {
    cos.push_back(static_cast<float>(std::cos(theta)));
    sin.push_back(static_cast<float>(std::sin(theta)));
  }
}

bool avx2_fma_available() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

void backproject(const SinogramBlock& block, const BackprojectionGeometry& geometry,
                 const ImageSet& out, numerics::ThreadPool& pool, KernelChoice choice) {
  const bool avx2 =
      choice == KernelChoice::avx2 || (choice == KernelChoice::automatic && avx2_fma_available());
  const auto tile = avx2 ? &tile_avx2 : &tile_portable;
  const int64_t n = geometry.size;
  const int64_t half = n / 2;
  const TileArgs args{block.row(0),
                      block.row_floats(),
                      block.angles(),
                      geometry.cos.data(),
                      geometry.sin.data(),
                      static_cast<float>(geometry.center),
                      static_cast<float>(block.cols() - 1),
                      static_cast<int32_t>(block.zero_cell()),
                      half};
  const int64_t tiles_x = (n + kTileW - 1) / kTileW;
  const int64_t tiles_y = (n + kTileH - 1) / kTileH;
  const double r2 = out.mask_radius ? *out.mask_radius * *out.mask_radius : 0.0;
  const auto outside = [&](int64_t ix, int64_t iy) {
    const double dx = static_cast<double>(ix - half), dy = static_cast<double>(iy - half);
    return out.mask_radius && dx * dx + dy * dy > r2;
  };

  pool.parallel_for(tiles_x * tiles_y, [&](int64_t t) {
    const int64_t x0 = (t % tiles_x) * kTileW, y0 = (t / tiles_x) * kTileH;
    const int64_t x1 = std::min(n, x0 + kTileW), y1 = std::min(n, y0 + kTileH);
    // A tile wholly outside the mask is not computed: its nearest pixel to
    // the centre is outside.
    const int64_t nx = std::clamp(half, x0, x1 - 1), ny = std::clamp(half, y0, y1 - 1);
    alignas(64) float acc[kTileH * kTileW * kLanes] = {};
    if (!outside(nx, ny)) tile(args, x0, y0, acc);
    for (int64_t iy = y0; iy < y1; ++iy)
      for (int64_t ix = x0; ix < x1; ++ix) {
        const float* cell = acc + ((iy - y0) * kTileW + (ix - x0)) * kLanes;
        const bool masked = outside(ix, iy);
        for (int l = 0; l < kLanes; ++l)
          if (float* image = out.images[static_cast<size_t>(l)])
            image[iy * n + ix] = masked ? 0.0f : cell[l];
      }
  });
}

void backproject_naive(const float* sinogram, int64_t angles, int64_t cols,
                       const BackprojectionGeometry& geometry, float* image) {
  const int64_t n = geometry.size;
  const int64_t half = n / 2;
  const float center = static_cast<float>(geometry.center);
  const float last = static_cast<float>(cols - 1);
  std::fill(image, image + n * n, 0.0f);
  for (int64_t p = 0; p < angles; ++p) {
    const float c = geometry.cos[static_cast<size_t>(p)];
    const float s = geometry.sin[static_cast<size_t>(p)];
    const float* q = sinogram + p * cols;
    for (int64_t iy = 0; iy < n; ++iy) {
      const float base = center - static_cast<float>(iy - half) * s;
      for (int64_t ix = 0; ix < n; ++ix) {
        const float u = static_cast<float>(ix - half) * c + base;
        if (u >= 0.0f && u <= last) {
          const int64_t i = static_cast<int64_t>(u);
          const float f = u - static_cast<float>(i);
          const float q0 = q[i];
          const float q1 = i + 1 < cols ? q[i + 1] : 0.0f;
          image[iy * n + ix] += q0 + f * (q1 - q0);
        }
      }
    }
  }
}

} // namespace h5io::fbp
