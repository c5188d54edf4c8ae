// See fourier_reconstructor.hpp.
//
// Sample V_p[k] of the pair (a, b) at frequency k/M along angle p, from the
// half spectra A, B of the two padded projections (k = 0 .. M/2):
//     V[k]  = wa[k] A[k] + i wb[k] B[k]
//     V[-k] = conj(wa[k] A[k]) + i conj(wb[k] B[k])
// with w[k] = factor_p * H[k] / M * sinc^2(k/M) * exp(2 pi i k c / M), the
// slice's centre c entering as the phase that puts column c at the origin.
// The Nyquist bin k = M/2 is split evenly between +M/2 and -M/2: that is
// its band-limited interpolation, cos(pi u).
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

} // namespace

FourierReconstructor::FourierReconstructor(const Options& options, const ScanShape& shape,
                                           std::span<const double> angles,
                                           numerics::ThreadPool& pool)
    : options_(options), shape_(shape), angles_(checked_angles(angles, shape.angles)), pool_(pool),
      filter_(shape.cols, options.filter, options.padding),
      grid_(shape.cols, filter_.padded(), angles_),
      sinograms_(static_cast<size_t>(2 * shape.angles * shape.cols)),
      samples_(numerics::fftw_array<std::complex<float>>(
          static_cast<size_t>(shape.angles * (filter_.padded() + 1)))) {
  if (shape_.angles < 1 || shape_.cols < 2)
    throw Error("the projections must have at least 1 angle and 2 detector columns");
  if (options_.normalise && shape_.flats < 1)
    throw Error("the scan has no flat-field frames (image_key 1 / data_white); normalisation "
                "needs them; pass normalise=false if the data are already -log normalised");
  const int64_t m = filter_.padded(), half = m / 2 + 1;
  const std::vector<double> factors = backprojection_factors(angles_);
  weights_.resize(static_cast<size_t>(shape_.angles * half));
  for (int64_t p = 0; p < shape_.angles; ++p)
    for (int64_t k = 0; k < half; ++k) {
      const double f = static_cast<double>(k) / static_cast<double>(m);
      const double sinc = k == 0 ? 1.0 : std::sin(std::numbers::pi * f) / (std::numbers::pi * f);
      weights_[static_cast<size_t>(p * half + k)] = static_cast<float>(
          factors[static_cast<size_t>(p)] * filter_.response()[static_cast<size_t>(k)] /
          static_cast<double>(m) * sinc * sinc);
    }
  for (auto& phase : phases_) phase.resize(static_cast<size_t>(half));
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
  const int64_t m = filter_.padded(), half = m / 2 + 1;
  float* const sinograms = sinograms_.data();

  // 1. Line integrals, rings, centre, and the centre's phase: per slice.
  pool_.parallel_for(lanes, [&](int64_t lane) {
    float* sinogram = sinograms + lane * size;
    prepare(lane, sinogram);
    if (finder_)
      centres[lane] = finder_->find(sinogram);
    else if (options_.axis)
      centres[lane] = options_.axis->at(first_slice + lane);
    else
      centres[lane] = *options_.center;
    auto& phase = phases_[lane];
    for (int64_t k = 0; k < half; ++k) {
      const double angle =
          2.0 * std::numbers::pi * static_cast<double>(k) * centres[lane] / static_cast<double>(m);
      phase[static_cast<size_t>(k)] = {static_cast<float>(std::cos(angle)),
                                       static_cast<float>(std::sin(angle))};
    }
  });

  // 2. Both slices' projections to samples of the pair's spectrum.
  std::complex<float>* const samples = samples_.get();
  pool_.parallel_for((p_count + kAnglesPerTask - 1) / kAnglesPerTask, [&](int64_t task) {
    ProjectionFilter::Workspace work_a = filter_.workspace(), work_b = filter_.workspace();
    const int64_t p_end = std::min(p_count, (task + 1) * kAnglesPerTask);
    for (int64_t p = task * kAnglesPerTask; p < p_end; ++p) {
      filter_.transform(work_a, sinograms + p * cols);
      const std::complex<float>* a = work_a.spectrum.get();
      const std::complex<float>* b = nullptr;
      if (lanes > 1) {
        filter_.transform(work_b, sinograms + size + p * cols);
        b = work_b.spectrum.get();
      }
      const float* w = weights_.data() + p * half;
      std::complex<float>* v = samples + p * (m + 1) + m / 2; // v[k], |k| <= M/2
      for (int64_t k = 0; k < half; ++k) {
        const auto ks = static_cast<size_t>(k);
        const std::complex<float> xa = a[k] * (w[k] * phases_[0][ks]);
        const std::complex<float> xb = b ? b[k] * (w[k] * phases_[1][ks]) : std::complex<float>{};
        const float scale = (k == m / 2) ? 0.5f : 1.0f; // the Nyquist bin, split
        // V[k] = xa + i xb;  V[-k] = conj(xa) + i conj(xb)
        v[k] = scale * std::complex<float>(xa.real() - xb.imag(), xa.imag() + xb.real());
        if (k > 0)
          v[-k] = scale * std::complex<float>(xa.real() + xb.imag(), -xa.imag() + xb.real());
      }
    }
  });

  // 3. Both images from one grid.
  std::optional<double> mask;
  if (options_.mask) mask = options_.mask_ratio * static_cast<double>(cols / 2);
  grid_.reconstruct(samples, images, lanes > 1 ? images + cols * cols : nullptr, mask, pool_);
}

} // namespace h5io::fbp
