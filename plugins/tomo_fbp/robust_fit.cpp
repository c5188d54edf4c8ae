// See robust_fit.hpp.
#include "robust_fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace h5io::fbp {
namespace {

constexpr double kMadToSigma = 1.4826;
constexpr int kMaxRounds = 50;

enum class Kind { constant, line };

int parameters(Kind kind) {
  return kind == Kind::line ? 2 : 1;
}

struct Model {
  double intercept = 0, slope = 0;
  double at(double x) const { return intercept + slope * x; }
};

struct Data {
  std::span<const double> x, y;
  std::vector<double> variance; // e_i^2; all 0 without errors
  bool weighted = false;
};

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  const size_t half = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(half), v.end());
  const double upper = v[half];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(half));
  return 0.5 * (lower + upper);
}

// The weighted median of the kept values: the value where the cumulative
// weight passes half (the mean of two values when it lands exactly on half;
// with equal weights, the ordinary median).
double weighted_median(const Data& d, const std::vector<bool>& kept, const std::vector<double>& w) {
  std::vector<size_t> order;
  for (size_t i = 0; i < d.y.size(); ++i)
    if (kept[i]) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return d.y[a] < d.y[b]; });
  double total = 0;
  for (const size_t i : order) total += w[i];
  double cumulative = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    cumulative += w[order[k]];
    if (std::fabs(cumulative - 0.5 * total) <= 1e-12 * total && k + 1 < order.size())
      return 0.5 * (d.y[order[k]] + d.y[order[k + 1]]);
    if (cumulative > 0.5 * total) return d.y[order[k]];
  }
  return order.empty() ? 0.0 : d.y[order.back()];
}

std::vector<double> weights(const Data& d, double scale, double floor2) {
  std::vector<double> w(d.y.size());
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = 1.0 / std::max(scale * scale * d.variance[i], floor2);
  return w;
}

Model fit_model(Kind kind, const Data& d, const std::vector<bool>& kept,
                const std::vector<double>& w) {
  if (kind == Kind::constant) {
    // Equal weights: the plain median (exactly, whatever rounding the
    // weights had).
    if (!d.weighted) {
      std::vector<double> v;
      for (size_t i = 0; i < d.y.size(); ++i)
        if (kept[i]) v.push_back(d.y[i]);
      return {median_of(std::move(v)), 0.0};
    }
    return {weighted_median(d, kept, w), 0.0};
  }
  double sw = 0, sx = 0, sy = 0;
  for (size_t i = 0; i < d.y.size(); ++i)
    if (kept[i]) {
      const double wi = d.weighted ? w[i] : 1.0;
      sw += wi;
      sx += wi * d.x[i];
      sy += wi * d.y[i];
    }
  const double mx = sx / sw, my = sy / sw;
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < d.y.size(); ++i)
    if (kept[i]) {
      const double wi = d.weighted ? w[i] : 1.0;
      sxx += wi * (d.x[i] - mx) * (d.x[i] - mx);
      sxy += wi * (d.x[i] - mx) * (d.y[i] - my);
    }
  const double slope = sxx > 0 ? sxy / sxx : 0.0;
  return {my - slope * mx, slope};
}

int64_t count_of(const std::vector<bool>& kept) {
  return std::count(kept.begin(), kept.end(), true);
}

// The kept rows' standard deviation about the model, with the model's
// degrees of freedom used up (0 when too few rows).
double deviation_of(const Data& d, const Model& m, const std::vector<bool>& kept, Kind kind) {
  double sum = 0;
  for (size_t i = 0; i < d.y.size(); ++i)
    if (kept[i]) sum += (d.y[i] - m.at(d.x[i])) * (d.y[i] - m.at(d.x[i]));
  const int64_t dof = count_of(kept) - parameters(kind);
  return dof > 0 ? std::sqrt(sum / static_cast<double>(dof)) : 0.0;
}

// The common scale of the rows' errors: sqrt(sum (r_i / e_i)^2 / dof) over
// the kept rows (without errors, e_i = 1: their standard deviation).
double error_scale(const Data& d, const Model& m, const std::vector<bool>& kept, Kind kind) {
  double sum = 0;
  for (size_t i = 0; i < d.y.size(); ++i)
    if (kept[i]) {
      const double r = d.y[i] - m.at(d.x[i]);
      sum += r * r / d.variance[i];
    }
  const int64_t dof = count_of(kept) - parameters(kind);
  return dof > 0 ? std::sqrt(sum / static_cast<double>(dof)) : 0.0;
}

struct Fitted {
  Model model;
  std::vector<bool> kept;
  double scale = 0;      // error_scale of the kept rows
  std::vector<double> w; // final weights 1 / max(scale^2 e_i^2, floor^2)
};

// Starting from all `candidates`, fits, rejects (among the candidates only)
// and refits until the kept set settles.
Fitted fit_rejecting(Kind kind, const Data& d, const RobustFitOptions& o,
                     const std::vector<bool>& candidates) {
  const double floor2 = o.min_sigma * o.min_sigma;
  Fitted f;
  f.kept = candidates;
  // Relative weights 1 / e_i^2 (equal without errors) until the scale is known.
  std::vector<double> w = weights(d, 1.0, 0.0);
  for (int round = 0; round < kMaxRounds; ++round) {
    f.model = fit_model(kind, d, f.kept, w);
    // The robust scale: 1.4826 * median |r_i / e_i| over the kept rows.
    std::vector<double> z;
    for (size_t i = 0; i < d.y.size(); ++i)
      if (f.kept[i]) z.push_back(std::fabs(d.y[i] - f.model.at(d.x[i])) / std::sqrt(d.variance[i]));
    const double robust = kMadToSigma * median_of(std::move(z));
    w = weights(d, robust, floor2);
    std::vector<bool> next(d.y.size(), false);
    for (size_t i = 0; i < d.y.size(); ++i)
      next[i] = candidates[i] &&
                std::fabs(d.y[i] - f.model.at(d.x[i])) <=
                    o.reject_sigmas * std::max(robust * std::sqrt(d.variance[i]), o.min_sigma);
    if (next == f.kept || count_of(next) == 0) break;
    f.kept = std::move(next);
  }
  f.model = fit_model(kind, d, f.kept, w);
  f.scale = error_scale(d, f.model, f.kept, kind);
  f.w = weights(d, f.scale, floor2);
  return f;
}

struct Moments {
  double sw = 0, mean_x = 0, sxx = 0;
};
Moments moments_of(const Data& d, const Fitted& f) {
  Moments m;
  double sx = 0;
  for (size_t i = 0; i < d.y.size(); ++i)
    if (f.kept[i]) {
      m.sw += f.w[i];
      sx += f.w[i] * d.x[i];
    }
  m.mean_x = sx / m.sw;
  for (size_t i = 0; i < d.y.size(); ++i)
    if (f.kept[i]) m.sxx += f.w[i] * (d.x[i] - m.mean_x) * (d.x[i] - m.mean_x);
  return m;
}

} // namespace

RobustFit robust_axis_fit(std::span<const double> x, std::span<const double> values,
                          double reference, const RobustFitOptions& o,
                          std::span<const double> errors) {
  RobustFit out;
  const size_t n = std::min(x.size(), values.size());
  if (n == 0) return out;
  out.valid = true;
  // Without errors every row has e_i = 1, and the scale is their scatter.
  Data d{x.first(n), values.first(n), std::vector<double>(n, 1.0), errors.size() >= n};
  if (d.weighted)
    for (size_t i = 0; i < n; ++i)
      d.variance[i] = std::isfinite(errors[i]) && errors[i] > 0
                          ? std::max(errors[i] * errors[i], 1e-12)
                          : (std::isfinite(errors[i]) ? 1e-12 : 1e12);

  const Fitted constant = fit_rejecting(Kind::constant, d, o, std::vector<bool>(n, true));

  // The line, when the rows the constant kept span enough distinct rows.
  bool line = false;
  Fitted tilted;
  double slope_error = 0;
  double lowest = std::numeric_limits<double>::infinity(), highest = -lowest;
  for (size_t i = 0; i < n; ++i)
    if (constant.kept[i]) {
      lowest = std::min(lowest, x[i]);
      highest = std::max(highest, x[i]);
    }
  if (count_of(constant.kept) >= 3 && highest > lowest) {
    tilted = fit_rejecting(Kind::line, d, o, constant.kept);
    const Moments m = moments_of(d, tilted);
    if (count_of(tilted.kept) >= 3 && m.sxx > 0) {
      slope_error = 1.0 / std::sqrt(m.sxx);
      line = std::fabs(tilted.model.slope) > o.slope_significance * slope_error;
    }
  }

  const Fitted& chosen = line ? tilted : constant;
  const Kind kind = line ? Kind::line : Kind::constant;
  out.line = line;
  out.intercept = chosen.model.intercept;
  out.slope = line ? chosen.model.slope : 0.0;
  out.kept = chosen.kept;
  out.inliers = count_of(chosen.kept);
  out.spread = deviation_of(d, chosen.model, chosen.kept, kind);
  out.error_scale = chosen.scale;
  out.slope_error = line ? slope_error : 0.0;
  // Standard error at the reference: sqrt(1/W + (ref - mean)^2 / Sxx) for
  // the line, sqrt(1/W) for the constant (W the sum of the weights).
  const Moments m = moments_of(d, chosen);
  double variance = 1.0 / m.sw;
  if (line) variance += (reference - m.mean_x) * (reference - m.mean_x) / m.sxx;
  out.uncertainty = std::sqrt(variance);
  if (!std::isfinite(out.uncertainty)) out.uncertainty = std::numeric_limits<double>::max();
  return out;
}

} // namespace h5io::fbp
