#pragma once
// method=fourier: direct Fourier inversion by gridding, two slices at a
// time (Dowd et al. 1999; Marone & Stampanoni 2012). It computes FBP's own
// sum,
//     mu(x) = sum_p factor_p g_p(c0 + x cos th_p + y sin th_p),
// g_p the linear interpolant of FBP's filtered projection q_p (the same
// filter, padding, per-angle factors, and the same band-limited shift onto
// the kernel centre c0 where FBP shifts), through the Fourier slice
// theorem. Linear interpolation is not a band limit: g_p's spectrum is q_p's
// periodic spectrum times sinc^2(f), which reaches past the Nyquist
// frequency, and at the image's pixels what lies past it shows up in an
// angle-dependent way (exact at 0 and 90 degrees, smoothing at 45). So the
// lines of samples run to |f| = kBand = 0.65 cycles/pixel, not 0.5: cut at
// 0.5, with sinc^2 only as an average response, Pearson against FBP was
// 0.9979-0.9996 on the test phantoms; at 0.65 it is >= 0.9992 (0.6:
// 0.9994 at N = 256 only; 1.0: 0.9999 for 1.5x the spreading).
//
// To keep the longer lines cheap, q_p is cropped to the detector (FBP never
// reads past it) and transformed again over a period M' ~ 1.2 N instead of
// FBP's padded M ~ 2 N: M' is just long enough that every pixel of the
// N x N image, corners included, that FBP leaves without a contribution
// from an angle (its position off the detector) also gets none here.
//
// The same interface as Reconstructor; a slice's result depends on its own
// data, row, the angles and the options, and on the slice it is paired with
// only through float rounding and the gridding error (~3e-6 of the range).

#include "center_vo.hpp"
#include "fftw.hpp"
#include "fourier_grid.hpp"
#include "options.hpp"
#include "projection_filter.hpp"
#include "scan_data.hpp"
#include "thread_pool.hpp"

#include <complex>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace h5io::fbp {

class FourierReconstructor {
public:
  // Plans every FFT (call on the library's thread). Throws Error for
  // unusable angles or shapes.
  FourierReconstructor(const Options& options, const ScanShape& shape,
                       std::span<const double> angles, numerics::ThreadPool& pool);

  const ScanShape& shape() const { return shape_; }
  bool angles_match(std::span<const double> angles) const;

  // As Reconstructor::run and run_sinograms.
  void run(const RawSlices& projections, const RawSlices& darks, const RawSlices& flats,
           int64_t count, float* images, double* centres, int64_t first_slice = 0);
  void run_sinograms(const float* sinograms, int64_t count, float* images, double* centres,
                     int64_t first_slice = 0);

  // M': the period of the cropped filtered projections (see the .cpp).
  static int64_t crop_length(int64_t cols, double center);

  static constexpr double kBand = 0.65; // K = 0.65 M': samples up to 0.65 cycles/pixel

private:
  struct Crop {
    numerics::FftwArray<float> signal;                 // M'
    numerics::FftwArray<std::complex<float>> spectrum; // M'/2 + 1
  };
  Crop crop_workspace() const;

  void run_pair(int64_t lanes, int64_t first_slice,
                const std::function<void(int64_t, float*)>& prepare, float* images,
                double* centres);

  Options options_;
  ScanShape shape_;
  std::vector<double> angles_;
  numerics::ThreadPool& pool_;
  ProjectionFilter filter_;
  std::unique_ptr<CenterFinder> finder_;        // center=auto-per-slice
  double center_;                               // the kernel centre, as Reconstructor's
  std::vector<std::complex<float>> kernel_;     // the filter and FFTW's 1/M
  std::vector<std::complex<float>> kernels_[2]; // per lane: kernel_, or with its shift
  int64_t crop_;                                // M'
  int64_t extent_;                              // K: samples at |k| <= K
  numerics::FftwPlan crop_plan_;                // r2c, length M'
  std::vector<float> weights_;                  // [P][K + 1]: factor, 1/M', sinc^2
  FourierGrid grid_;
  std::vector<float> sinograms_;                     // 2 x [P][cols]
  numerics::FftwArray<std::complex<float>> samples_; // [P][M + 1]
  std::vector<std::complex<float>> phase_;           // exp(2 pi i k center_ / M'), k <= K
};

} // namespace h5io::fbp
