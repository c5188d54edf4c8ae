// See fourier_grid.hpp.
//
// Grid row r holds x frequency (r - G/2) / G cycles per pixel and column c
// the y frequency (c - G/2) / G, so the spectrum's disc sits in the middle
// of the array and only samples at the very edge wrap around. That offset
// of G/2 multiplies the transform's output at (x, y) by (-1)^(x + y),
// which the correction undoes together with the deapodisation.
#include "fourier_grid.hpp"

#include "error.hpp"

#include <algorithm>
#include <cmath>

namespace h5io::fbp {
namespace {

constexpr int kW = GriddingKernel::kWidth;

bool seven_smooth(int64_t v) {
  for (const int64_t f : {2, 3, 5, 7})
    while (v % f == 0) v /= f;
  return v == 1;
}

} // namespace

int64_t FourierGrid::grid_size(int64_t n) {
  const auto wanted = static_cast<int64_t>(std::ceil(GriddingKernel::kOversampling * double(n)));
  int64_t g = std::max<int64_t>(kStrip, (wanted + kStrip - 1) / kStrip * kStrip);
  while (!seven_smooth(g / kStrip)) g += kStrip;
  return g;
}

FourierGrid::FourierGrid(int64_t n, int64_t m, int64_t extent, std::span<const double> angles)
    : n_(n), m_(m), extent_(extent), grid_(grid_size(n)), kernel_(grid_),
      data_(numerics::fftw_array<std::complex<float>>(static_cast<size_t>(grid_ * grid_))) {
  // Samples reach at most one grid period past the middle (the copies
  // spread_strip visits).
  if (extent_ < 1 || extent_ > m_) throw Error("the Fourier grid needs 1 <= K <= M");
  const double cells_per_k = static_cast<double>(grid_) / static_cast<double>(m_);
  for (const double theta : angles) {
    step_x_.push_back(cells_per_k * std::cos(theta));
    step_y_.push_back(cells_per_k * std::sin(theta));
  }
  const int64_t h = n_ / 2;
  for (int64_t ix = 0; ix < n_; ++ix) {
    const int64_t x = ix - h;
    const double sign = (x % 2 == 0) ? 1.0 : -1.0;
    correction_.push_back(static_cast<float>(sign * kernel_.deapodisation(static_cast<double>(x))));
  }
  // The image's y offsets h-N+1 .. h are columns 0 .. h and G-(N-1-h) .. G-1.
  for (int64_t c = 0; c < grid_; c += kColumns) {
    const bool low = c <= h;
    const bool high = c + kColumns > grid_ - (n_ - 1 - h);
    if (low || high) columns_.push_back(c);
  }
  std::complex<float>* d = data_.get();
  const int g = static_cast<int>(grid_);
  rows_ = numerics::make_fftw_plan([&] {
    return fftwf_plan_many_dft(1, &g, static_cast<int>(kStrip), numerics::as_fftw(d), nullptr, 1, g,
                               numerics::as_fftw(d), nullptr, 1, g, FFTW_BACKWARD, FFTW_ESTIMATE);
  });
  columns_plan_ = numerics::make_fftw_plan([&] {
    return fftwf_plan_many_dft(1, &g, static_cast<int>(kColumns), numerics::as_fftw(d), nullptr, g,
                               1, numerics::as_fftw(d), nullptr, g, 1, FFTW_BACKWARD,
                               FFTW_ESTIMATE);
  });
}

void FourierGrid::reconstruct(const std::complex<float>* samples, float* image_a, float* image_b,
                              std::optional<double> mask_radius, numerics::ThreadPool& pool) {
  pool.parallel_for(grid_ / kStrip, [&](int64_t strip) {
    spread_strip(samples, strip * kStrip);
    std::complex<float>* rows = data_.get() + strip * kStrip * grid_;
    fftwf_execute_dft(rows_.get(), numerics::as_fftw(rows), numerics::as_fftw(rows));
  });
  pool.parallel_for(static_cast<int64_t>(columns_.size()), [&](int64_t task) {
    const int64_t c = columns_[static_cast<size_t>(task)];
    std::complex<float>* first = data_.get() + c;
    fftwf_execute_dft(columns_plan_.get(), numerics::as_fftw(first), numerics::as_fftw(first));
    write_columns(c, image_a, image_b, mask_radius);
  });
}

void FourierGrid::spread_strip(const std::complex<float>* samples, int64_t first_row) {
  const int64_t g = grid_, half_m = extent_;
  std::complex<float>* strip = data_.get() + first_row * g;
  std::fill(strip, strip + kStrip * g, std::complex<float>{});
  const double origin = static_cast<double>(g / 2);
  const int64_t angles = static_cast<int64_t>(step_x_.size());
  alignas(32) float wx[kW], wy[kW], wyv[2 * kW];
  for (int64_t p = 0; p < angles; ++p) {
    const std::complex<float>* v = samples + p * (2 * half_m + 1) + half_m; // v[k], |k| <= extent
    const double sx = step_x_[static_cast<size_t>(p)], sy = step_y_[static_cast<size_t>(p)];
    // Rows first_row .. +kStrip, and their copies one grid away (samples
    // past the grid's Nyquist frequency wrap around).
    for (const int64_t shift : {int64_t{0}, g, -g}) {
      const double lo = static_cast<double>(first_row + shift) - kW / 2.0;
      const double hi = static_cast<double>(first_row + shift + kStrip) + kW / 2.0;
      int64_t k0 = -half_m, k1 = half_m;
      if (std::fabs(sx) > 1e-12) {
        double t0 = (lo - origin) / sx, t1 = (hi - origin) / sx;
        if (t0 > t1) std::swap(t0, t1);
        if (t1 < static_cast<double>(-half_m) - 1 || t0 > static_cast<double>(half_m) + 1) continue;
        k0 = std::max(k0, static_cast<int64_t>(std::floor(t0)) - 1);
        k1 = std::min(k1, static_cast<int64_t>(std::ceil(t1)) + 1);
      } else if (origin < lo || origin >= hi) {
        continue;
      }
      for (int64_t k = k0; k <= k1; ++k) {
        const double gx = origin + static_cast<double>(k) * sx;
        const double fx = std::floor(gx);
        // Local row of the footprint's first point, and the part in the strip.
        const int64_t r0 = static_cast<int64_t>(fx) - kW / 2 + 1 - shift - first_row;
        const int64_t j0 = std::max<int64_t>(0, -r0), j1 = std::min<int64_t>(kW, kStrip - r0);
        if (j0 >= j1) continue;
        const double gy = origin + static_cast<double>(k) * sy;
        const double fy = std::floor(gy);
        kernel_.weights(static_cast<float>(gx - fx), wx);
        kernel_.weights(static_cast<float>(gy - fy), wy);
        const float re = v[k].real(), im = v[k].imag();
        for (int j = 0; j < kW; ++j) {
          wyv[2 * j] = wy[j] * re;
          wyv[2 * j + 1] = wy[j] * im;
        }
        const int64_t c0 = static_cast<int64_t>(fy) - kW / 2 + 1;
        if (c0 >= 0 && c0 + kW <= g) {
          for (int64_t j = j0; j < j1; ++j) {
            float* row = reinterpret_cast<float*>(strip + (r0 + j) * g + c0);
            const float w = wx[j];
            for (int i = 0; i < 2 * kW; ++i) row[i] += w * wyv[i];
          }
        } else {
          for (int64_t j = j0; j < j1; ++j) {
            std::complex<float>* row = strip + (r0 + j) * g;
            for (int i = 0; i < kW; ++i) {
              const int64_t c = ((c0 + i) % g + g) % g;
              row[c] += wx[j] * std::complex<float>(wyv[2 * i], wyv[2 * i + 1]);
            }
          }
        }
      }
    }
  }
}

void FourierGrid::write_columns(int64_t first_column, float* image_a, float* image_b,
                                std::optional<double> mask_radius) const {
  const int64_t g = grid_, n = n_, h = n_ / 2;
  const double r2 = mask_radius ? *mask_radius * *mask_radius : 0.0;
  for (int64_t c = first_column; c < first_column + kColumns; ++c) {
    const int64_t y = c <= h ? c : c - g;
    if (y > h || y < h - n + 1) continue;
    const int64_t iy = h - y;
    const float cy = correction_[static_cast<size_t>(iy)];
    float* out_a = image_a ? image_a + iy * n : nullptr;
    float* out_b = image_b ? image_b + iy * n : nullptr;
    for (int64_t ix = 0; ix < n; ++ix) {
      const int64_t x = ix - h;
      const std::complex<float> value = data_[static_cast<size_t>(((x + g) % g) * g + c)];
      const float scale = cy * correction_[static_cast<size_t>(ix)];
      const double dy = static_cast<double>(iy - h), dx = static_cast<double>(x);
      const bool masked = mask_radius && dx * dx + dy * dy > r2;
      if (out_a) out_a[ix] = masked ? 0.0f : scale * value.real();
      if (out_b) out_b[ix] = masked ? 0.0f : scale * value.imag();
    }
  }
}

} // namespace h5io::fbp
