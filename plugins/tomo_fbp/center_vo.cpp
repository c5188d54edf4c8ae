// See center_vo.hpp.
#include "center_vo.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <numeric>

namespace h5io::fbp {
namespace {

using std::numbers::pi;

constexpr int64_t kCoarseRows = 128;
constexpr int64_t kCoarseCols = 512;
constexpr int64_t kFineRows = 256;
constexpr int64_t kFineCols = 1024;
constexpr double kRatio = 0.5; // assumed object radius / half the detector width, as tomopy
constexpr double kCoarseStep = 0.5;
constexpr double kFineStep = 0.25;

// Full-resolution column x in a level averaging `bin` columns.
double to_level(double x, int64_t bin) {
  return (x - 0.5 * static_cast<double>(bin - 1)) / static_cast<double>(bin);
}
double from_level(double x, int64_t bin) {
  return x * static_cast<double>(bin) + 0.5 * static_cast<double>(bin - 1);
}

} // namespace

CenterFinder::CenterFinder(int64_t cols, std::span<const double> angles, double half_width)
    : cols_(cols) {
  // The shifts are circular (phase ramps), so a shift s and s - cols look
  // the same: the search stays where |shift| < cols / 2, i.e. within a
  // quarter of the detector from the mirror's centre. (A half-turn scan
  // whose axis is further out sees less than half of the sample anyway.)
  const double middle = static_cast<double>(cols / 2);
  const double mirror = 0.5 * static_cast<double>(cols - 1);
  const double reach = std::max(0.0, 0.25 * static_cast<double>(cols) - 1.0);
  low_ = std::clamp(middle - half_width, std::max(0.0, mirror - reach), mirror + reach);
  high_ = std::clamp(middle + half_width, mirror - reach,
                     std::min(static_cast<double>(cols - 1), mirror + reach));
  if (low_ > high_) low_ = high_ = std::clamp(middle, 0.0, static_cast<double>(cols - 1));

  // The first half turn, in angle order: stacked with its mirror it makes
  // the full turn the method needs (a full-turn scan's second half would
  // only repeat it).
  const int64_t n = static_cast<int64_t>(angles.size());
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return angles[static_cast<size_t>(a)] < angles[static_cast<size_t>(b)];
  });
  if (n >= 2) {
    const double first = angles[static_cast<size_t>(order.front())];
    const double mean_gap =
        (angles[static_cast<size_t>(order.back())] - first) / static_cast<double>(n - 1);
    for (const int64_t p : order)
      if (angles[static_cast<size_t>(p)] - first < pi - 0.5 * mean_gap) rows_.push_back(p);
  }
  if (static_cast<int64_t>(rows_.size()) < 4 || cols_ < 16) return; // too little: nominal
  plan_level(coarse_, kCoarseRows, kCoarseCols);
  plan_level(fine_, kFineRows, kFineCols);
}

void CenterFinder::plan_level(Level& level, int64_t max_rows, int64_t max_cols) {
  const int64_t half_turn = static_cast<int64_t>(rows_.size());
  level.row_bin = (half_turn + max_rows - 1) / max_rows;
  level.rows = half_turn / level.row_bin;
  level.bin = 1;
  while (cols_ / level.bin > max_cols) level.bin *= 2;
  level.cols = cols_ / level.bin;
  const int64_t r = level.rows;
  // The wedge is |k_angle| >= k_column * pi * ratio, and |k_angle| <= R.
  level.kcols = std::min(level.cols / 2 + 1,
                         static_cast<int64_t>(static_cast<double>(r) / (pi * kRatio)) + 1);
  const int64_t half = level.cols / 2 + 1;
  auto real = numerics::fftw_array<float>(static_cast<size_t>(r * level.cols));
  auto spectra = numerics::fftw_array<std::complex<float>>(static_cast<size_t>(r * half));
  auto columns =
      numerics::fftw_array<std::complex<float>>(static_cast<size_t>(2 * r * level.kcols));
  const int n_cols = static_cast<int>(level.cols);
  const int n_rows = static_cast<int>(2 * r);
  level.row_fft = numerics::make_fftw_plan([&] {
    return fftwf_plan_many_dft_r2c(1, &n_cols, static_cast<int>(r), real.get(), nullptr, 1, n_cols,
                                   numerics::as_fftw(spectra.get()), nullptr, 1,
                                   static_cast<int>(half), FFTW_ESTIMATE);
  });
  level.column_fft = numerics::make_fftw_plan([&] {
    return fftwf_plan_many_dft(
        1, &n_rows, static_cast<int>(level.kcols), numerics::as_fftw(columns.get()), nullptr, 1,
        n_rows, numerics::as_fftw(columns.get()), nullptr, 1, n_rows, FFTW_FORWARD, FFTW_ESTIMATE);
  });
}

double CenterFinder::nominal() const {
  return std::clamp(static_cast<double>(cols_ / 2), low_, high_);
}

// The wedge metric of each candidate centre (in the level's columns).
std::vector<double> CenterFinder::metrics(const Level& level, const float* sinogram,
                                          std::span<const double> centres) const {
  const int64_t r = level.rows;
  const int64_t c = level.cols;
  const int64_t half = c / 2 + 1;
  // The half turn averaged over row_bin projections and bin columns, and
  // its mirror image.
  auto top = numerics::fftw_array<float>(static_cast<size_t>(r * c));
  auto mirror = numerics::fftw_array<float>(static_cast<size_t>(r * c));
  std::vector<float> row(static_cast<size_t>(cols_));
  const float scale = 1.0f / static_cast<float>(level.row_bin * level.bin);
  for (int64_t i = 0; i < r; ++i) {
    std::fill(row.begin(), row.end(), 0.0f);
    for (int64_t b = 0; b < level.row_bin; ++b) {
      const float* in = sinogram + rows_[static_cast<size_t>(i * level.row_bin + b)] * cols_;
      for (int64_t u = 0; u < cols_; ++u) row[static_cast<size_t>(u)] += in[u];
    }
    for (int64_t j = 0; j < c; ++j) {
      float sum = 0;
      for (int64_t b = 0; b < level.bin; ++b) sum += row[static_cast<size_t>(j * level.bin + b)];
      top[static_cast<size_t>(i * c + j)] = sum * scale;
      mirror[static_cast<size_t>(i * c + (c - 1 - j))] = sum * scale;
    }
  }
  auto top_spectra = numerics::fftw_array<std::complex<float>>(static_cast<size_t>(r * half));
  auto mirror_spectra = numerics::fftw_array<std::complex<float>>(static_cast<size_t>(r * half));
  fftwf_execute_dft_r2c(level.row_fft.get(), top.get(), numerics::as_fftw(top_spectra.get()));
  fftwf_execute_dft_r2c(level.row_fft.get(), mirror.get(), numerics::as_fftw(mirror_spectra.get()));

  const int64_t drop =
      std::min<int64_t>(20, static_cast<int64_t>(std::ceil(0.1 * static_cast<double>(r))));
  auto columns =
      numerics::fftw_array<std::complex<float>>(static_cast<size_t>(2 * r * level.kcols));
  std::vector<double> result;
  result.reserve(centres.size());
  for (const double centre : centres) {
    const double shift = 2.0 * (centre - 0.5 * static_cast<double>(c - 1));
    for (int64_t k = 0; k < level.kcols; ++k) {
      const double angle = -2.0 * pi * static_cast<double>(k) * shift / static_cast<double>(c);
      const std::complex<float> phase(static_cast<float>(std::cos(angle)),
                                      static_cast<float>(std::sin(angle)));
      std::complex<float>* column = columns.get() + k * 2 * r;
      for (int64_t i = 0; i < r; ++i) {
        column[i] = top_spectra[static_cast<size_t>(i * half + k)];
        const std::complex<float> m = mirror_spectra[static_cast<size_t>(i * half + k)];
        column[r + i] = {m.real() * phase.real() - m.imag() * phase.imag(),
                         m.real() * phase.imag() + m.imag() * phase.real()};
      }
    }
    fftwf_execute_dft(level.column_fft.get(), numerics::as_fftw(columns.get()),
                      numerics::as_fftw(columns.get()));
    double metric = 0;
    // Column k stands for +k and -k of the full spectrum (except Nyquist);
    // the DC column and its neighbour are left out, as tomopy does.
    for (int64_t k = 2; k < level.kcols; ++k) {
      const int64_t first =
          std::max(drop + 1, static_cast<int64_t>(std::ceil(static_cast<double>(k) * pi * kRatio)));
      if (first > r) continue;
      const std::complex<float>* column = columns.get() + k * 2 * r;
      double sum = 0;
      for (int64_t j = first; j <= 2 * r - first; ++j) sum += std::abs(column[j]);
      metric += (2 * k == c ? 1.0 : 2.0) * sum;
    }
    result.push_back(metric);
  }
  return result;
}

double CenterFinder::find(const float* sinogram) const {
  return search(sinogram).value_or(nominal());
}

std::optional<double> CenterFinder::search(const float* sinogram) const {
  if (!coarse_.row_fft) return std::nullopt;

  // Coarse: 0.5 steps of the coarse level's columns over the whole range.
  std::vector<double> candidates;
  const double lo = to_level(low_, coarse_.bin), hi = to_level(high_, coarse_.bin);
  for (double x = std::ceil(lo / kCoarseStep) * kCoarseStep; x <= hi + 1e-9; x += kCoarseStep)
    candidates.push_back(x);
  if (candidates.empty()) return std::nullopt;
  const std::vector<double> coarse = metrics(coarse_, sinogram, candidates);
  const auto [min_it, max_it] = std::minmax_element(coarse.begin(), coarse.end());
  if (!(*max_it > *min_it * (1.0 + 1e-6))) return std::nullopt; // nothing to go by
  const double rough =
      from_level(candidates[static_cast<size_t>(min_it - coarse.begin())], coarse_.bin);

  // Fine: 0.25-pixel steps around the coarse answer, on finer columns.
  const double reach = 0.5 * static_cast<double>(coarse_.bin) + 1.0;
  std::vector<double> fine_full;
  for (double x = rough - reach; x <= rough + reach + 1e-9; x += kFineStep)
    if (x >= low_ - 1e-9 && x <= high_ + 1e-9) fine_full.push_back(x);
  if (fine_full.empty()) return std::clamp(rough, low_, high_);
  std::vector<double> fine_level(fine_full.size());
  for (size_t i = 0; i < fine_full.size(); ++i) fine_level[i] = to_level(fine_full[i], fine_.bin);
  const std::vector<double> fine = metrics(fine_, sinogram, fine_level);
  const size_t best =
      static_cast<size_t>(std::min_element(fine.begin(), fine.end()) - fine.begin());
  double centre = fine_full[best];
  if (best > 0 && best + 1 < fine.size()) { // vertex of the parabola through the best three
    const double a = fine[best - 1], b = fine[best], c = fine[best + 1];
    const double curvature = a - 2.0 * b + c;
    if (curvature > 0) centre += kFineStep * 0.5 * (a - c) / curvature;
  }
  return std::clamp(centre, low_, high_);
}

} // namespace h5io::fbp
