#pragma once
// The frequency response of the FBP filters, built exactly as
// scikit-image's iradon builds them (skimage.transform.radon_transform.
// _get_fourier_filter), so results compare with iradon directly:
//   ramp:  2 * real(fft(f)) with f[0] = 1/4, f[odd n] = -1/(pi n)^2 (n taken
//          circularly), the discrete ramp of Kak & Slaney ch. 3 eq. 61;
//   shepp-logan: ramp * sin(w)/w, w = pi * fftfreq;
//   cosine, hamming, hann: ramp * fftshift(window) as skimage computes them;
//   parzen (not in skimage): ramp * the Parzen window of |frequency| / Nyquist.
// skimage multiplies the full complex spectrum by the (not quite symmetric)
// windowed filter and keeps the real part, which is the same as applying the
// symmetric part (H[k] + H[M-k]) / 2; that is what is returned, for the
// half spectrum k = 0 .. M/2 that a real-to-complex transform holds.

#include "options.hpp"

#include <complex>
#include <cstdint>
#include <vector>

namespace h5io::fbp {

// The padded length: the next power of two >= max(64, 2 * cols).
int64_t padded_length(int64_t cols);

// M/2 + 1 values for a power-of-two length M >= 2.
std::vector<double> filter_response(FilterKind kind, int64_t m);

// The spectrum multiplier of one slice: response / m (the inverse
// transform's 1/m folded in) times the phase ramp that shifts the filtered
// projection by `shift` pixels towards higher columns. Computed in double,
// rounded once to float; the CPU and GPU filters both use it, so they
// multiply by the same numbers.
std::vector<std::complex<float>> filter_kernel(const std::vector<double>& response, int64_t m,
                                               double shift);

} // namespace h5io::fbp
