#pragma once
// method=fourier: direct Fourier inversion by gridding, two slices at a
// time (Dowd et al. 1999; Marone & Stampanoni 2012). It computes the same
// sum as FBP,
//     mu(x) = sum_p factor_p q_p(c + x cos th_p + y sin th_p),
// q_p the filtered projection, but through the Fourier slice theorem: each
// projection's padded spectrum, filtered with the same filter and padding
// as FBP, weighted with the same per-angle factors (uneven angles, full
// turns) and phase-shifted by the slice's own centre (exact for fractional
// centres, so slices never share a geometry), is a line of samples of the
// image's 2-D spectrum; FourierGrid turns the lines of two slices into both
// images at once. q_p is interpolated band-limited instead of linearly, and
// the spectrum is multiplied by sinc^2(k/M), the transfer function of FBP's
// linear interpolation, so the two methods have the same resolution and
// noise (without it the RMS difference from FBP on the Shepp-Logan
// phantom doubles).
//
// The same interface and guarantees as Reconstructor: every slice's result
// depends on its own data, row, the angles and the options alone, never on
// its batch, the slice it is paired with or the thread count.

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

private:
  void run_pair(int64_t lanes, int64_t first_slice,
                const std::function<void(int64_t, float*)>& prepare, float* images,
                double* centres);

  Options options_;
  ScanShape shape_;
  std::vector<double> angles_;
  numerics::ThreadPool& pool_;
  ProjectionFilter filter_;
  std::unique_ptr<CenterFinder> finder_; // center=auto-per-slice
  std::vector<float> weights_;           // [P][M/2 + 1]: factor, filter, 1/M, sinc^2
  FourierGrid grid_;
  std::vector<float> sinograms_;                     // 2 x [P][cols]
  numerics::FftwArray<std::complex<float>> samples_; // [P][M + 1]
  std::vector<std::complex<float>> phases_[2];       // per lane: exp(2 pi i k c / M)
};

} // namespace h5io::fbp
