// See fourier_reconstructor.hpp.
//
// Sample V_p[k] of the pair (a, b) at frequency k/M' along angle p, from
// the half spectra A, B of the two cropped filtered projections (periodic
// in k with period M', and A[M' - k] = conj(A[k]) as they are real), for
// k = 0 .. K:
//     V[k]  = w[k] A[k] + i w[k] B[k]
//     V[-k] = conj(w[k] A[k]) + i conj(w[k] B[k])
// with w[k] = factor_p / M' * sinc^2(k/M') * exp(2 pi i k c0 / M'), the
// kernel centre c0 entering as the phase that puts it at the origin. K >
// M'/2, so the Nyquist bin is an ordinary sample on both sides.
#include "fourier_reconstructor.hpp"

#include "angle_weights.hpp"
#include "error.hpp"
#include "ring_removal.hpp"
#include "sinogram_prep.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

namespace h5io::fbp {
namespace {

constexpr int64_t kAnglesPerTask = 16;

bool seven_smooth(int64_t v) {
  for (const int64_t f : {2, 3, 5, 7})
    while (v % f == 0) v /= f;
  return v == 1;
}

} // namespace

int64_t FourierReconstructor::crop_length(int64_t cols, double center) {
  // Every pixel of the N x N image lies within r of the axis, so its
  // detector positions u are within r of the centre; u < 0 must wrap to
  // >= cols and u > cols - 1 to <= -1, where the cropped projection is 0.
  const double r = std::sqrt(2.0) * static_cast<double>(cols / 2) + 1.0;
  const double reach = std::max(std::fabs(center), std::fabs(static_cast<double>(cols) - center));
  int64_t m = std::max(cols + 2, static_cast<int64_t>(std::ceil(reach + r)) + 2);
  m += m % 2;
  while (!seven_smooth(m)) m += 2;
  return m;
}

FourierReconstructor::Crop FourierReconstructor::crop_workspace() const {
  return {numerics::fftw_array<float>(static_cast<size_t>(crop_)),
          numerics::fftw_array<std::complex<float>>(static_cast<size_t>(crop_ / 2 + 1))};
}

FourierReconstructor::FourierReconstructor(const Options& options, const ScanShape& shape,
                                           std::span<const double> angles,
                                           numerics::ThreadPool& pool)
    : options_(options), shape_(shape), angles_(checked_angles(angles, shape.angles)), pool_(pool),
      filter_(shape.cols, options.filter, options.padding),
      center_(kernel_center(options, shape.cols)), kernel_(filter_.kernel(0.0)),
      crop_(crop_length(shape.cols, center_)),
      extent_(static_cast<int64_t>(std::ceil(kBand * static_cast<double>(crop_)))),
      grid_(shape.cols, crop_, extent_, angles_),
      sinograms_(static_cast<size_t>(2 * shape.angles * shape.cols)),
      samples_(numerics::fftw_array<std::complex<float>>(
          static_cast<size_t>(shape.angles * (2 * extent_ + 1)))) {
  if (shape_.angles < 1 || shape_.cols < 2)
    throw Error("the projections must have at least 1 angle and 2 detector columns");
  if (options_.normalise && shape_.flats < 1)
    throw Error("the scan has no flat-field frames (image_key 1 / data_white); normalisation "
                "needs them; pass normalise=false if the data are already -log normalised");
  const int64_t m = crop_, half = extent_ + 1;
  const std::vector<double> factors = backprojection_factors(angles_);
  weights_.resize(static_cast<size_t>(shape_.angles * half));
  for (int64_t p = 0; p < shape_.angles; ++p)
    for (int64_t k = 0; k < half; ++k) {
      const double f = static_cast<double>(k) / static_cast<double>(m);
      const double sinc = k == 0 ? 1.0 : std::sin(std::numbers::pi * f) / (std::numbers::pi * f);
      weights_[static_cast<size_t>(p * half + k)] = static_cast<float>(
          factors[static_cast<size_t>(p)] / static_cast<double>(m) * sinc * sinc);
    }
  {
    Crop work = crop_workspace();
    const int length = static_cast<int>(crop_);
    crop_plan_ = numerics::make_fftw_plan([&] {
      return fftwf_plan_dft_r2c_1d(length, work.signal.get(),
                                   numerics::as_fftw(work.spectrum.get()), FFTW_ESTIMATE);
    });
  }
  for (int64_t k = 0; k < half; ++k) {
    const double angle =
        2.0 * std::numbers::pi * static_cast<double>(k) * center_ / static_cast<double>(m);
    phase_.emplace_back(static_cast<float>(std::cos(angle)), static_cast<float>(std::sin(angle)));
  }
  if (!options_.center && !options_.axis)
    finder_ = std::make_unique<CenterFinder>(shape_.cols, angles_, options_.center_search);
}

bool FourierReconstructor::angles_match(std::span<const double> angles) const {
  return angles.size() == angles_.size() &&
         std::equal(angles.begin(), angles.end(), angles_.begin());
}

void FourierReconstructor::run(const RawSlices& projections, const RawSlices& darks,
                               const RawSlices& flats, int64_t count, float* images,
                               double* centres, int64_t first_slice) {
  for (int64_t first = 0; first < count; first += 2) {
    const int64_t lanes = std::min<int64_t>(2, count - first);
    run_pair(
        lanes, first_slice + first,
        [&](int64_t lane, float* sinogram) {
          prepare_sinogram(options_, shape_, projections, darks, flats, first + lane, sinogram);
        },
        images + first * shape_.cols * shape_.cols, centres + first);
  }
}

void FourierReconstructor::run_sinograms(const float* sinograms, int64_t count, float* images,
                                         double* centres, int64_t first_slice) {
  const int64_t size = shape_.angles * shape_.cols;
  for (int64_t first = 0; first < count; first += 2) {
    const int64_t lanes = std::min<int64_t>(2, count - first);
    run_pair(
        lanes, first_slice + first,
        [&](int64_t lane, float* sinogram) {
          std::copy_n(sinograms + (first + lane) * size, size, sinogram);
          if (options_.rings == Rings::sort)
            remove_stripes_by_sorting(sinogram, shape_.angles, shape_.cols, options_.ring_size);
        },
        images + first * shape_.cols * shape_.cols, centres + first);
  }
}

void FourierReconstructor::run_pair(int64_t lanes, int64_t first_slice,
                                    const std::function<void(int64_t, float*)>& prepare,
                                    float* images, double* centres) {
  const int64_t p_count = shape_.angles, cols = shape_.cols, size = p_count * cols;
  const int64_t m = crop_, half = extent_ + 1;
  float* const sinograms = sinograms_.data();

  // 1. Line integrals, rings, centre, and the centre's phase: per slice.
  pool_.parallel_for(lanes, [&](int64_t lane) {
    float* sinogram = sinograms + lane * size;
    prepare(lane, sinogram);
    // As Reconstructor: the centre enters as FBP's does, a band-limited
    // shift of the filtered projection onto the job's kernel centre where
    // FBP shifts, then the kernel centre's phase (step 2), so both methods
    // interpolate the same samples.
    auto& kernel = kernels_[static_cast<size_t>(lane)];
    kernel = kernel_;
    if (finder_) {
      centres[lane] = finder_->find(sinogram);
      kernel = filter_.kernel(center_ - centres[lane]);
    } else if (options_.axis) {
      centres[lane] = options_.axis->at(first_slice + lane);
      if (centres[lane] != center_) kernel = filter_.kernel(center_ - centres[lane]);
    } else {
      centres[lane] = center_;
    }
  });

  // 2. Both slices' projections to samples of the pair's spectrum.
  std::complex<float>* const samples = samples_.get();
  pool_.parallel_for((p_count + kAnglesPerTask - 1) / kAnglesPerTask, [&](int64_t task) {
    ProjectionFilter::Workspace work = filter_.workspace();
    Crop crop[2] = {crop_workspace(), crop_workspace()};
    const int64_t p_end = std::min(p_count, (task + 1) * kAnglesPerTask);
    for (int64_t p = task * kAnglesPerTask; p < p_end; ++p) {
      for (int64_t lane = 0; lane < lanes; ++lane) {
        float* q = crop[lane].signal.get();
        filter_.apply(work, sinograms + lane * size + p * cols, kernels_[static_cast<size_t>(lane)],
                      1.0f, q, 1);
        std::fill(q + cols, q + m, 0.0f);
        fftwf_execute_dft_r2c(crop_plan_.get(), q, numerics::as_fftw(crop[lane].spectrum.get()));
      }
      const std::complex<float>* a = crop[0].spectrum.get();
      const std::complex<float>* b = lanes > 1 ? crop[1].spectrum.get() : nullptr;
      const float* w = weights_.data() + p * half;
      std::complex<float>* v = samples + p * (2 * extent_ + 1) + extent_; // v[k], |k| <= K
      for (int64_t k = 0; k < half; ++k) {
        const auto ks = static_cast<size_t>(k);
        // Past M'/2 the spectrum of the real, M'-periodic projection is
        // conj(A[M' - k]).
        const bool upper = k > m / 2;
        const std::complex<float> ak = upper ? std::conj(a[m - k]) : a[k];
        const std::complex<float> xa = ak * (w[k] * phase_[ks]);
        std::complex<float> xb{};
        if (b) xb = (upper ? std::conj(b[m - k]) : b[k]) * (w[k] * phase_[ks]);
        // V[k] = xa + i xb;  V[-k] = conj(xa) + i conj(xb)
        v[k] = std::complex<float>(xa.real() - xb.imag(), xa.imag() + xb.real());
        if (k > 0) v[-k] = std::complex<float>(xa.real() + xb.imag(), -xa.imag() + xb.real());
      }
    }
  });

  // 3. Both images from one grid.
  std::optional<double> mask;
  if (options_.mask) mask = options_.mask_ratio * static_cast<double>(cols / 2);
  grid_.reconstruct(samples, images, lanes > 1 ? images + cols * cols : nullptr, mask, pool_);
}

} // namespace h5io::fbp
