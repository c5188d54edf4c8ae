// The Paganin filter's arithmetic; see paganin_filter.hpp for the method.
#include "paganin_filter.hpp"

#include "flat_field.hpp"
#include "plugin_error.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace h5io::paganin {

double wavelength_m(double energy_kev) {
  return 12.398e-10 / energy_kev; // hc = 12.398 keV Angstrom
}

int64_t padded_length(int64_t n) {
  const int64_t target = 2 * std::max<int64_t>(n, 1);
  for (int64_t m = target;; ++m) {
    int64_t rest = m;
    for (int64_t prime : {2, 3, 5, 7})
      while (rest % prime == 0) rest /= prime;
    if (rest == 1) return m;
  }
}

double filter_factor(const Physics& physics, double k_squared) {
  const double length_squared = physics.distance_m * wavelength_m(physics.energy_kev) *
                                physics.delta_over_beta / (4 * std::numbers::pi);
  return 1.0 / (1.0 + length_squared * k_squared);
}

PaganinFilter::PaganinFilter(int64_t rows, int64_t cols, const Physics& physics)
    : rows_(rows), cols_(cols), padded_rows_(padded_length(rows)),
      padded_cols_(padded_length(cols)) {
  if (!(physics.energy_kev > 0 && physics.distance_m > 0 && physics.pixel_m > 0 &&
        physics.delta_over_beta > 0))
    throw plugin::Error("Paganin phase retrieval needs a positive energy, distance, pixel size "
                        "and delta/beta");
  const int64_t half = padded_cols_ / 2 + 1;
  factor_.resize(static_cast<size_t>(padded_rows_ * half));
  const double two_pi = 2 * std::numbers::pi;
  const double scale = 1.0 / static_cast<double>(padded_rows_ * padded_cols_);
  for (int64_t i = 0; i < padded_rows_; ++i) {
    const int64_t fi = i <= padded_rows_ / 2 ? i : i - padded_rows_;
    const double ky =
        two_pi * static_cast<double>(fi) / (static_cast<double>(padded_rows_) * physics.pixel_m);
    for (int64_t j = 0; j < half; ++j) {
      const double kx =
          two_pi * static_cast<double>(j) / (static_cast<double>(padded_cols_) * physics.pixel_m);
      factor_[static_cast<size_t>(i * half + j)] =
          static_cast<float>(filter_factor(physics, kx * kx + ky * ky) * scale);
    }
  }
  Workspace work = workspace();
  const int n0 = static_cast<int>(padded_rows_), n1 = static_cast<int>(padded_cols_);
  forward_ = numerics::make_fftw_plan([&] {
    return fftwf_plan_dft_r2c_2d(n0, n1, work.image.get(), numerics::as_fftw(work.spectrum.get()),
                                 FFTW_ESTIMATE);
  });
  inverse_ = numerics::make_fftw_plan([&] {
    return fftwf_plan_dft_c2r_2d(n0, n1, numerics::as_fftw(work.spectrum.get()), work.image.get(),
                                 FFTW_ESTIMATE);
  });
}

PaganinFilter::Workspace PaganinFilter::workspace() const {
  const auto pixels = static_cast<size_t>(padded_rows_ * padded_cols_);
  const auto spectrum = static_cast<size_t>(padded_rows_ * (padded_cols_ / 2 + 1));
  return {numerics::fftw_array<float>(pixels), numerics::fftw_array<std::complex<float>>(spectrum)};
}

void PaganinFilter::apply(const float* transmission, float* out, Workspace& work) const {
  // The image sits in the middle of the padded frame; every padded pixel
  // takes the value of the nearest edge pixel.
  const int64_t top = (padded_rows_ - rows_) / 2, left = (padded_cols_ - cols_) / 2;
  float* image = work.image.get();
  for (int64_t i = 0; i < padded_rows_; ++i) {
    const int64_t r = std::clamp<int64_t>(i - top, 0, rows_ - 1);
    const float* source = transmission + r * cols_;
    float* row = image + i * padded_cols_;
    std::fill(row, row + left, source[0]);
    std::copy(source, source + cols_, row + left);
    std::fill(row + left + cols_, row + padded_cols_, source[cols_ - 1]);
  }
  fftwf_execute_dft_r2c(forward_.get(), image, numerics::as_fftw(work.spectrum.get()));
  std::complex<float>* spectrum = work.spectrum.get();
  for (size_t k = 0; k < factor_.size(); ++k) spectrum[k] *= factor_[k];
  fftwf_execute_dft_c2r(inverse_.get(), numerics::as_fftw(spectrum), image);
  for (int64_t r = 0; r < rows_; ++r) {
    const float* row = image + (r + top) * padded_cols_ + left;
    for (int64_t c = 0; c < cols_; ++c) {
      float t = row[c];
      if (!std::isfinite(t)) t = 1.0f;
      out[r * cols_ + c] = -std::log(std::max(t, numerics::kMinTransmission));
    }
  }
}

} // namespace h5io::paganin
