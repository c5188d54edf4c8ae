// See projection_filter.hpp. Edge padding puts the last value after the
// data and the first value before it (at the end of the circular buffer),
// so the filter sees each projection continued flat on both sides instead
// of dropping to zero: that suppresses the cupping a sample wider than the
// detector would otherwise get.
#include "projection_filter.hpp"

#include "filter_response.hpp"

#include <algorithm>

namespace h5io::fbp {

ProjectionFilter::ProjectionFilter(int64_t cols, FilterKind kind, Padding padding)
    : cols_(cols), padded_(padded_length(cols)), padding_(padding),
      response_(filter_response(kind, padded_)) {
  Workspace work = workspace();
  const int n = static_cast<int>(padded_);
  forward_ = numerics::make_fftw_plan([&] {
    return fftwf_plan_dft_r2c_1d(n, work.signal.get(), numerics::as_fftw(work.spectrum.get()),
                                 FFTW_ESTIMATE);
  });
  backward_ = numerics::make_fftw_plan([&] {
    return fftwf_plan_dft_c2r_1d(n, numerics::as_fftw(work.spectrum.get()), work.signal.get(),
                                 FFTW_ESTIMATE);
  });
}

ProjectionFilter::Workspace ProjectionFilter::workspace() const {
  return {numerics::fftw_array<float>(static_cast<size_t>(padded_)),
          numerics::fftw_array<std::complex<float>>(static_cast<size_t>(padded_ / 2 + 1))};
}

std::vector<std::complex<float>> ProjectionFilter::kernel(double shift) const {
  return filter_kernel(response_, padded_, shift);
}

void ProjectionFilter::transform(Workspace& work, const float* row) const {
  float* signal = work.signal.get();
  std::copy(row, row + cols_, signal);
  const int64_t pad = padded_ - cols_;
  if (padding_ == Padding::zero) {
    std::fill(signal + cols_, signal + padded_, 0.0f);
  } else {
    std::fill(signal + cols_, signal + cols_ + pad / 2, row[cols_ - 1]);
    std::fill(signal + cols_ + pad / 2, signal + padded_, row[0]);
  }
  fftwf_execute_dft_r2c(forward_.get(), signal, numerics::as_fftw(work.spectrum.get()));
}

void ProjectionFilter::apply(Workspace& work, const float* row,
                             const std::vector<std::complex<float>>& kernel, float scale,
                             float* out, int64_t out_stride) const {
  transform(work, row);
  float* signal = work.signal.get();
  std::complex<float>* spectrum = work.spectrum.get();
  const size_t half = static_cast<size_t>(padded_ / 2 + 1);
  for (size_t i = 0; i < half; ++i) { // written out: std::complex's * also handles inf/NaN, slowly
    const float re = spectrum[i].real() * kernel[i].real() - spectrum[i].imag() * kernel[i].imag();
    const float im = spectrum[i].real() * kernel[i].imag() + spectrum[i].imag() * kernel[i].real();
    spectrum[i] = {re, im};
  }
  fftwf_execute_dft_c2r(backward_.get(), numerics::as_fftw(spectrum), signal);
  for (int64_t u = 0; u < cols_; ++u) out[u * out_stride] = scale * signal[u];
}

} // namespace h5io::fbp
