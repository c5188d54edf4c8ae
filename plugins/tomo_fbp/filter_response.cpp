// See filter_response.hpp. The ramp needs one FFT of a real symmetric
// sequence in double precision (as numpy does it); a small radix-2 FFT here
// keeps that off FFTW's single-precision library and its planner.
#include "filter_response.hpp"

#include <cmath>
#include <complex>
#include <numbers>

namespace h5io::fbp {
namespace {

using std::numbers::pi;

// In-place forward DFT, x.size() a power of two.
void fft_double(std::vector<std::complex<double>>& x) {
  const size_t n = x.size();
  for (size_t i = 1, j = 0; i < n; ++i) { // bit-reversal permutation
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j |= bit;
    if (i < j) std::swap(x[i], x[j]);
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    const double angle = -2.0 * pi / static_cast<double>(len);
    for (size_t start = 0; start < n; start += len)
      for (size_t k = 0; k < len / 2; ++k) {
        // Twiddles from sin/cos directly (no recurrence) keep the error at
        // rounding level for long transforms.
        const std::complex<double> w = std::polar(1.0, angle * static_cast<double>(k));
        const std::complex<double> a = x[start + k];
        const std::complex<double> b = x[start + k + len / 2] * w;
        x[start + k] = a + b;
        x[start + k + len / 2] = a - b;
      }
  }
}

// numpy.fft.fftfreq(m)[k]
double fftfreq(int64_t k, int64_t m) {
  return static_cast<double>(k < (m + 1) / 2 ? k : k - m) / static_cast<double>(m);
}

// The window skimage multiplies into the ramp, at index k of the full
// length-m spectrum.
double window(FilterKind kind, int64_t k, int64_t m) {
  const double md = static_cast<double>(m);
  // fftshift(x)[k] = x[(k + m/2) mod m] for even m
  const double shifted = static_cast<double>((k + m / 2) % m);
  switch (kind) {
  case FilterKind::ramp: return 1.0;
  case FilterKind::shepp_logan: {
    if (k == 0) return 1.0;
    const double w = pi * fftfreq(k, m);
    return std::sin(w) / w;
  }
  case FilterKind::cosine: return std::sin(pi * shifted / md);
  case FilterKind::hamming: return 0.54 - 0.46 * std::cos(2.0 * pi * shifted / (md - 1.0));
  case FilterKind::hann: return 0.5 - 0.5 * std::cos(2.0 * pi * shifted / (md - 1.0));
  case FilterKind::parzen: {
    const double x = std::fabs(fftfreq(k, m)) / 0.5; // |frequency| / Nyquist, 0 .. 1
    return x <= 0.5 ? 1.0 - 6.0 * x * x * (1.0 - x) : 2.0 * std::pow(1.0 - x, 3);
  }
  }
  return 1.0;
}

} // namespace

int64_t padded_length(int64_t cols) {
  int64_t m = 64;
  while (m < 2 * cols) m *= 2;
  return m;
}

std::vector<double> filter_response(FilterKind kind, int64_t m) {
  const size_t n = static_cast<size_t>(m);
  std::vector<std::complex<double>> f(n);
  for (size_t i = 0; i < n; ++i) {
    const double k = static_cast<double>(i <= n / 2 ? i : n - i);
    f[i] = i == 0 ? 0.25 : i % 2 == 1 ? -1.0 / ((pi * k) * (pi * k)) : 0.0;
  }
  fft_double(f);
  std::vector<double> full(n);
  for (size_t k = 0; k < n; ++k)
    full[k] = 2.0 * f[k].real() * window(kind, static_cast<int64_t>(k), m);
  std::vector<double> half(n / 2 + 1);
  for (size_t k = 0; k <= n / 2; ++k) half[k] = 0.5 * (full[k] + full[(n - k) % n]);
  return half;
}

std::vector<std::complex<float>> filter_kernel(const std::vector<double>& response, int64_t m,
                                               double shift) {
  const size_t half = static_cast<size_t>(m / 2 + 1);
  std::vector<std::complex<float>> k(half);
  const double md = static_cast<double>(m);
  for (size_t i = 0; i < half; ++i) {
    const double value = response[i] / md;
    if (shift == 0.0) {
      k[i] = static_cast<float>(value);
    } else {
      // A shift by s moves f(u) to f(u - s): multiply by exp(-2 pi i k s / M).
      const double phase = -2.0 * pi * static_cast<double>(i) * shift / md;
      k[i] = std::complex<float>(static_cast<float>(value * std::cos(phase)),
                                 static_cast<float>(value * std::sin(phase)));
    }
  }
  return k;
}

} // namespace h5io::fbp
