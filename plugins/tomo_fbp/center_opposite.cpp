// See center_opposite.hpp.
#include "center_opposite.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numbers>
#include <numeric>
#include <tuple>

namespace h5io::fbp {
namespace {

using std::numbers::pi;

constexpr int64_t kSmoothRadius = 3; // Gaussian sigma 1 px, cut at 3 sigma
constexpr int64_t kMaxCoarseCols = 512;

// Gaussian smoothing (sigma 1 px) of one projection, weights renormalised at
// the edges (those columns are left out of the comparison anyway).
void smooth(const float* in, int64_t n, double* out) {
  std::array<double, kSmoothRadius + 1> w{};
  for (int64_t j = 0; j <= kSmoothRadius; ++j)
    w[static_cast<size_t>(j)] = std::exp(-0.5 * static_cast<double>(j * j));
  for (int64_t u = 0; u < n; ++u) {
    double sum = 0, weight = 0;
    for (int64_t j = -kSmoothRadius; j <= kSmoothRadius; ++j) {
      const int64_t v = u + j;
      if (v < 0 || v >= n) continue;
      const double wj = w[static_cast<size_t>(std::abs(j))];
      sum += wj * in[v];
      weight += wj;
    }
    out[u] = sum / weight;
  }
}

// The pairs' projections at one resolution: a[k] and b[k] of `cols` values.
struct Level {
  Level(int64_t bin_, int64_t cols_, int64_t margin_, int64_t pairs)
      : bin(bin_), cols(cols_), margin(margin_), a(static_cast<size_t>(pairs * cols_), 0.0),
        b(a.size(), 0.0) {}

  int64_t bin;
  int64_t cols;
  int64_t margin; // columns left out at each edge
  std::vector<double> a, b;

  // Mean squared difference between a and b mirrored about m/2 (in this
  // level's columns: a[u] against b[m - u]); nothing when they overlap too
  // little.
  int64_t overlap(int64_t m) const {
    const int64_t last = cols - 1 - margin;
    return std::min(last, m - margin) - std::max(margin, m - last) + 1;
  }
  std::optional<double> cost(int64_t m, int64_t pairs) const {
    const int64_t last = cols - 1 - margin;
    const int64_t lo = std::max(margin, m - last), hi = std::min(last, m - margin);
    const int64_t count = overlap(m);
    if (count < std::max<int64_t>(3, (cols - 2 * margin) / 4)) return std::nullopt;
    double sum = 0;
    for (int64_t k = 0; k < pairs; ++k) {
      const double* pa = a.data() + k * cols;
      const double* pb = b.data() + k * cols;
      for (int64_t u = lo; u <= hi; ++u) {
        const double d = pa[u] - pb[m - u];
        sum += d * d;
      }
    }
    return sum / static_cast<double>(count * pairs);
  }
};

Level binned(const Level& full, int64_t bin, int64_t pairs) {
  Level level(bin, full.cols / bin, std::max<int64_t>(1, (full.margin + bin - 1) / bin), pairs);
  for (int64_t k = 0; k < pairs; ++k)
    for (int64_t j = 0; j < level.cols; ++j) {
      double sa = 0, sb = 0;
      for (int64_t i = 0; i < bin; ++i) {
        sa += full.a[static_cast<size_t>(k * full.cols + j * bin + i)];
        sb += full.b[static_cast<size_t>(k * full.cols + j * bin + i)];
      }
      level.a[static_cast<size_t>(k * level.cols + j)] = sa / static_cast<double>(bin);
      level.b[static_cast<size_t>(k * level.cols + j)] = sb / static_cast<double>(bin);
    }
  return level;
}

struct Parabola {
  double vertex = 0;    // offset of the least, 0 when it does not curve upwards
  double curvature = 0; // c2 of y = c0 + c1 x + c2 x^2
};

// The least-squares parabola through (x, y).
Parabola parabola_through(const std::vector<double>& x, const std::vector<double>& y) {
  // Normal equations for y = c0 + c1 x + c2 x^2.
  double s[5] = {}, t[3] = {};
  for (size_t i = 0; i < x.size(); ++i) {
    double p = 1;
    for (int k = 0; k < 5; ++k) {
      s[k] += p;
      if (k < 3) t[k] += p * y[i];
      p *= x[i];
    }
  }
  const double m[3][3] = {{s[0], s[1], s[2]}, {s[1], s[2], s[3]}, {s[2], s[3], s[4]}};
  const auto det3 = [](const double a[3][3]) {
    return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
           a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
           a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  };
  const double d = det3(m);
  if (d == 0) return {};
  double m1[3][3], m2[3][3];
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      m1[r][c] = c == 1 ? t[r] : m[r][c];
      m2[r][c] = c == 2 ? t[r] : m[r][c];
    }
  const double c1 = det3(m1) / d, c2 = det3(m2) / d;
  if (!(c2 > 0)) return {0.0, c2};
  return {-c1 / (2 * c2), c2};
}

} // namespace

double angular_step(std::span<const double> angles) {
  std::vector<double> sorted(angles.begin(), angles.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> gaps;
  for (size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i] > sorted[i - 1]) gaps.push_back(sorted[i] - sorted[i - 1]);
  if (gaps.empty()) return 0;
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2),
                   gaps.end());
  return gaps[gaps.size() / 2];
}

std::vector<OppositePair> opposite_pairs(std::span<const double> angles) {
  const int64_t n = static_cast<int64_t>(angles.size());
  const double step = angular_step(angles);
  std::vector<OppositePair> pairs;
  if (n < 2 || !(step > 0)) return pairs;
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return angles[static_cast<size_t>(a)] < angles[static_cast<size_t>(b)];
  });
  const auto angle = [&](int64_t k) {
    return angles[static_cast<size_t>(order[static_cast<size_t>(k)])];
  };
  const double near = 0.505 * step, bridge = 2.02 * step, beyond = 1.01 * step;
  // j: the first sorted angle >= target; and how far target is from the
  // nearest measured angle.
  const auto locate = [&](double target) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
      const int64_t mid = (lo + hi) / 2;
      if (angle(mid) < target)
        lo = mid + 1;
      else
        hi = mid;
    }
    const double below = lo > 0 ? target - angle(lo - 1) : HUGE_VAL;
    const double above = lo < n ? angle(lo) - target : HUGE_VAL;
    return std::tuple{lo, below, above};
  };
  for (int64_t i = 0; i < n; ++i) {
    const int64_t first = order[static_cast<size_t>(i)];
    const auto plus = locate(angle(i) + pi);
    const auto minus = locate(angle(i) - pi);
    const auto gap = [](const auto& l) { return std::min(std::get<1>(l), std::get<2>(l)); };
    if (gap(plus) <= near) { // measured: listed once, from the smaller angle
      const auto [j, below, above] = plus;
      const int64_t k = order[static_cast<size_t>(below <= above ? j - 1 : j)];
      if (k != first) pairs.push_back({first, k, k, 1.0, 0.0, true, gap(plus)});
      continue;
    }
    if (gap(minus) <= near) continue; // listed from the other side
    for (const double direction : {1.0, -1.0}) {
      const double target = angle(i) + direction * pi;
      const auto [j, below, above] = direction > 0 ? plus : minus;
      int64_t p = -1, q = -1; // the two projections the partner comes from
      if (j > 0 && j < n && angle(j) - angle(j - 1) <= bridge) {
        p = j - 1;
        q = j;
      } else if (j == n && n >= 2 && below <= beyond && angle(n - 1) - angle(n - 2) <= bridge) {
        p = n - 2;
        q = n - 1;
      } else if (j == 0 && n >= 2 && above <= beyond && angle(1) - angle(0) <= bridge) {
        p = 0;
        q = 1;
      } else {
        continue;
      }
      const int64_t a = order[static_cast<size_t>(p)], b = order[static_cast<size_t>(q)];
      if (a == first || b == first) continue;
      // The line through (angle(p), a) and (angle(q), b), at the target.
      const double t = (target - angle(p)) / (angle(q) - angle(p));
      pairs.push_back({first, a, b, 1.0 - t, t, false, std::min(below, above)});
    }
  }
  return pairs;
}

OppositeMatcher::OppositeMatcher(int64_t cols, std::span<const double> angles, double low,
                                 double high)
    : cols_(cols), low_(low), high_(high), all_pairs_(opposite_pairs(angles)) {
  // Measured partners when there are enough of them; interpolated ones
  // otherwise (they carry more noise).
  std::vector<OppositePair> measured, virtual_pairs;
  for (const OppositePair& p : all_pairs_) (p.measured ? measured : virtual_pairs).push_back(p);
  const std::vector<OppositePair>& pool =
      static_cast<int64_t>(measured.size()) >= kMaxPairs / 2 || virtual_pairs.empty() ? measured
                                                                                      : all_pairs_;
  const int64_t n = static_cast<int64_t>(pool.size());
  if (n <= kMaxPairs) {
    used_ = pool;
  } else {
    for (int64_t k = 0; k < kMaxPairs; ++k)
      used_.push_back(pool[static_cast<size_t>((2 * k + 1) * n / (2 * kMaxPairs))]);
  }
}

std::optional<OppositeEstimate> OppositeMatcher::find(const float* sinogram) const {
  const int64_t pairs = pairs_used();
  if (pairs == 0 || cols_ < 8) return std::nullopt;
  Level full(1, cols_, std::min(kSmoothRadius, cols_ / 8), pairs);
  for (int64_t k = 0; k < pairs; ++k) {
    const OppositePair& pair = used_[static_cast<size_t>(k)];
    smooth(sinogram + pair.first * cols_, cols_, full.a.data() + k * cols_);
    std::vector<float> partner(static_cast<size_t>(cols_));
    const float* pa = sinogram + pair.a * cols_;
    const float* pb = sinogram + pair.b * cols_;
    for (int64_t u = 0; u < cols_; ++u)
      partner[static_cast<size_t>(u)] =
          static_cast<float>(pair.weight_a * pa[u] + pair.weight_b * pb[u]);
    smooth(partner.data(), cols_, full.b.data() + k * cols_);
  }

  // 2c = m on the whole-number lattice.
  const auto m_lo = static_cast<int64_t>(std::ceil(2.0 * low_ - 1e-9));
  const auto m_hi = static_cast<int64_t>(std::floor(2.0 * high_ + 1e-9));
  if (m_hi - m_lo < 2) return std::nullopt;
  std::map<int64_t, std::optional<double>> costs;
  const auto cost_at = [&](int64_t m) {
    auto it = costs.find(m);
    if (it == costs.end()) it = costs.emplace(m, full.cost(m, pairs)).first;
    return it->second;
  };

  // Coarse: columns averaged by `bin` (m = bin * m' + bin - 1 in full columns).
  int64_t bin = 1;
  while (cols_ / bin > kMaxCoarseCols) bin *= 2;
  int64_t window_lo = m_lo, window_hi = m_hi;
  if (bin > 1) {
    const Level coarse = binned(full, bin, pairs);
    const int64_t lo = (m_lo - bin + 1 + bin - 1) / bin; // ceil for m_lo >= 0
    const int64_t hi = (m_hi - bin + 1) / bin;
    std::optional<int64_t> best;
    double best_cost = 0;
    for (int64_t mp = lo; mp <= hi; ++mp)
      if (const std::optional<double> c = coarse.cost(mp, pairs); c && (!best || *c < best_cost)) {
        best = mp;
        best_cost = *c;
      }
    if (!best) return std::nullopt;
    const int64_t centre = *best * bin + bin - 1;
    window_lo = std::max(m_lo, centre - 2 * bin);
    window_hi = std::min(m_hi, centre + 2 * bin);
  }

  // Fine: the least cost in the window, the window moved along while the
  // least is at its edge (but not at the range's).
  std::optional<int64_t> best;
  double best_cost = 0, worst_cost = 0;
  for (int64_t m = window_lo; m <= window_hi; ++m)
    if (const std::optional<double> c = cost_at(m)) {
      worst_cost = std::max(worst_cost, *c);
      if (!best || *c < best_cost) {
        best = m;
        best_cost = *c;
      }
    }
  if (!best) return std::nullopt;
  for (;;) {
    const int64_t step = *best == window_lo && window_lo > m_lo   ? -1
                         : *best == window_hi && window_hi < m_hi ? 1
                                                                  : 0;
    if (step == 0) break;
    const int64_t m = *best + step;
    (step < 0 ? window_lo : window_hi) = m;
    const std::optional<double> c = cost_at(m);
    if (!c || *c >= best_cost) break;
    worst_cost = std::max(worst_cost, *c);
    best = m;
    best_cost = *c;
  }
  if (*best <= m_lo || *best >= m_hi) return std::nullopt; // no minimum inside the range
  for (const auto& [m, c] : costs)
    if (c) worst_cost = std::max(worst_cost, *c);
  if (!(worst_cost > best_cost * (1.0 + 1e-9))) return std::nullopt; // nothing to go by

  std::vector<double> x, y;
  for (int64_t d = -2; d <= 2; ++d)
    if (*best + d >= m_lo && *best + d <= m_hi)
      if (const std::optional<double> c = cost_at(*best + d)) {
        x.push_back(static_cast<double>(d));
        y.push_back(*c);
      }
  const Parabola fit = x.size() >= 3 ? parabola_through(x, y) : Parabola{};
  const double offset = std::clamp(fit.vertex, -1.0, 1.0);
  OppositeEstimate estimate;
  estimate.center = std::clamp(0.5 * (static_cast<double>(*best) + offset), low_, high_);
  // Least squares: var(c) = sigma^2 / sum (dr/dc)^2, with sigma^2 ~ the
  // least mean squared difference, sum (dr/dc)^2 = N C''(c) / 2 and
  // C''(c) = 8 c2 (m = 2c on a lattice of unit steps). The smoothing makes
  // neighbouring differences alike: N counts independent ones, one per
  // 2 sqrt(pi) sigma = 3.5 columns.
  const double independent =
      static_cast<double>(full.overlap(*best) * pairs) / (2.0 * std::sqrt(pi));
  estimate.error = fit.curvature > 0
                       ? std::sqrt(2.0 * best_cost / (independent * 8.0 * fit.curvature))
                       : HUGE_VAL;
  return estimate;
}

} // namespace h5io::fbp
