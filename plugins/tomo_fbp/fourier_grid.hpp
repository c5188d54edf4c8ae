#pragma once
// The 2-D step of the Fourier method: from samples of the image's spectrum
// on P radial lines to the N x N image, by gridding (the adjoint
// non-uniform FFT of Fessler & Sutton 2003; Dowd et al. 1999 for
// tomography):
//     image(x, y) = sum_p sum_k V_p[k] exp(2 pi i (k/M)(x cos th_p + y sin th_p)),
// x = ix - floor(N/2), y = floor(N/2) - iy (ARCHITECTURE.md, "Tomography
// geometry"), k = -K .. K with K <= M: samples past the grid's Nyquist
// frequency (|k| > M/2) wrap around the grid, which is how the pixels'
// sampling aliases them. Each sample is spread onto a Cartesian grid
// of G x G points (G ~ 1.5 N, so the image's aliases from beyond the field
// fall where the kernel's transform is small), the grid is inverse
// transformed, and the N x N middle is divided by the kernel's transform.
//
// The samples of two real images go in as one complex spectrum (real part
// the first image, imaginary part the second, as gridrec does), so one
// grid and one 2-D FFT serve both.
//
// Work is split over the thread pool by strips of grid rows: a task spreads
// every sample whose footprint reaches its strip, clipped to the strip,
// then transforms the strip's rows while they are in cache; then tasks of 8
// grid columns do the second transform for the N columns the image needs
// and write their pixels. No two tasks write the same element, so the
// result does not depend on the thread count. The FFTW plans are made once,
// in the constructor.

#include "fftw.hpp"
#include "gridding_kernel.hpp"
#include "thread_pool.hpp"

#include <complex>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace h5io::fbp {

class FourierGrid {
public:
  // n: the image width; m: the samples' spacing (frequency k/m cycles per
  // pixel); extent: the largest |k| (k = -extent .. extent); angles in
  // radians.
  FourierGrid(int64_t n, int64_t m, int64_t extent, std::span<const double> angles);

  int64_t grid() const { return grid_; }

  // samples: [P][2 extent + 1], V_p[k] at index k + extent. Writes the real part of
  // the image to image_a and the imaginary part to image_b (either may be
  // nullptr), N x N each; pixels farther than mask_radius from the centre
  // are set to 0.
  void reconstruct(const std::complex<float>* samples, float* image_a, float* image_b,
                   std::optional<double> mask_radius, numerics::ThreadPool& pool);

  // The grid size for an image n wide: the smallest multiple of kStrip that
  // is >= sigma n and whose FFT is fast (factors 2, 3, 5, 7 only).
  static int64_t grid_size(int64_t n);

  static constexpr int64_t kStrip = 32;  // grid rows per spreading task
  static constexpr int64_t kColumns = 8; // grid columns per second-pass task

private:
  void spread_strip(const std::complex<float>* samples, int64_t first_row);
  void write_columns(int64_t first_column, float* image_a, float* image_b,
                     std::optional<double> mask_radius) const;

  int64_t n_, m_, extent_, grid_;
  GriddingKernel kernel_;
  std::vector<double> step_x_, step_y_;           // per angle: grid cells per unit k
  std::vector<float> correction_;                 // per image offset ix: deapodisation and sign
  std::vector<int64_t> columns_;                  // first columns of the second pass's tasks
  numerics::FftwArray<std::complex<float>> data_; // G x G, row = x frequency, column = y frequency
  numerics::FftwPlan rows_;                       // kStrip contiguous rows of G
  numerics::FftwPlan columns_plan_;               // kColumns columns of G, stride G
};

} // namespace h5io::fbp
