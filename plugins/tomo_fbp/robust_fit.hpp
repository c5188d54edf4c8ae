#pragma once
// A robust fit of per-row rotation-centre estimates: one value (the median)
// or a straight line (a tilted axis), with outliers rejected.
//
// Each estimate may come with its own standard error e_i (opposite
// projections give one; Vo's method does not: all e_i = 1). The e_i set the
// rows' relative weights; their common scale s is fitted to the rows'
// scatter (so a formula that is off by a constant factor does no harm), and
// row i weighs 1 / max(s^2 e_i^2, min_sigma^2). Without e_i this is the
// ordinary fit: equal weights, s the rows' scatter.
//
// * Outliers: a row is kept while |residual| <= reject_sigmas *
//   max(sigma e_i, min_sigma), sigma = 1.4826 * MAD of the kept rows'
//   residuals over their e_i (the scale for normal scatter); the kept set
//   is refitted until it stops changing.
// * The constant is the kept rows' weighted median.
// * The line is fitted by weighted least squares among the rows the
//   constant kept (so a cluster of bad rows at one end, which the constant
//   rejects, cannot pose as a tilt; a real tilt spreads the values evenly,
//   their scatter grows with it and the constant keeps them all), and used
//   only when its slope is significant: |slope| > slope_significance * its
//   standard error, so noise does not tilt the axis of an upright scan.

#include <cstdint>
#include <span>
#include <vector>

namespace h5io::fbp {

struct RobustFitOptions {
  double reject_sigmas = 3.5;
  // Per-row scatter below this (pixels) is not believed: per-row estimates
  // are no better than ~0.1 px, and identical values must not make every
  // slope "significant" or every estimate infinitely certain.
  double min_sigma = 0.1;
  double slope_significance = 3.0;
};

struct RobustFit {
  bool valid = false;     // at least one point
  bool line = false;      // a significant slope: the line; otherwise the constant
  double intercept = 0;   // value at x = 0
  double slope = 0;       // exactly 0 for the constant
  double spread = 0;      // standard deviation of the kept rows about the fit
  double error_scale = 0; // s: the rows' scatter over their own errors
  // Standard error of the fitted value at the reference x: how well this
  // fit knows the axis.
  double uncertainty = 0;
  double slope_error = 0; // standard error of the line's slope (0 when none)
  int64_t inliers = 0;
  std::vector<bool> kept; // per point

  double at(double x) const { return intercept + slope * x; }
};

// Fits values[i] at x[i] (same length), with standard errors errors[i]
// (empty: none known). `reference` is where `uncertainty` is evaluated (the
// middle of the scan's rows).
RobustFit robust_axis_fit(std::span<const double> x, std::span<const double> values,
                          double reference, const RobustFitOptions& options = {},
                          std::span<const double> errors = {});

} // namespace h5io::fbp
