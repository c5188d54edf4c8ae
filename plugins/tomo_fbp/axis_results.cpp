// See axis_results.hpp.
#include "axis_results.hpp"

#include "error.hpp"

#include <cmath>
#include <cstring>
#include <numbers>

namespace h5io::fbp {
namespace {

constexpr double kDegrees = 180.0 / std::numbers::pi;

std::string list_of(const std::vector<std::optional<double>>& values) {
  std::string out;
  for (const auto& v : values) {
    char buffer[32];
    if (v)
      std::snprintf(buffer, sizeof(buffer), "%.4f", *v);
    else
      std::snprintf(buffer, sizeof(buffer), "nan");
    out += (out.empty() ? "" : ", ") + std::string(buffer);
  }
  return out;
}

const char* model_of(const RobustFit& fit, bool usable) {
  if (!usable) return "none";
  return fit.line ? "line" : "constant";
}

void add_method(ParamList& out, const std::string& prefix,
                const std::vector<std::optional<double>>& values, const RobustFit& fit,
                bool usable) {
  out.text(prefix + "_centers", list_of(values));
  int64_t estimates = 0;
  for (const auto& v : values) estimates += v.has_value();
  out.integer(prefix + "_estimates", estimates);
  out.integer(prefix + "_inliers", fit.valid ? fit.inliers : 0);
  out.text(prefix + "_model", model_of(fit, usable));
  if (!usable) return;
  out.number(prefix + "_intercept", fit.intercept);
  out.number(prefix + "_slope", fit.slope);
  out.number(prefix + "_spread", fit.spread);
  if (prefix == "opposite") out.number(prefix + "_error_scale", fit.error_scale);
  out.number(prefix + "_uncertainty", fit.uncertainty);
}

const h5io_param_t& find(std::span<const h5io_param_t> results, const char* key) {
  for (const h5io_param_t& r : results)
    if (r.key != nullptr && std::strcmp(r.key, key) == 0) {
      if (r.type != H5IO_PARAM_FLOAT && r.type != H5IO_PARAM_INT)
        throw Error(std::string("the scan-wide step's result '") + key + "' is not a number");
      return r;
    }
  throw Error(std::string("the scan-wide step's results lack '") + key +
              "' (were they stored by another version of tomo_fbp? start the job afresh)");
}

} // namespace

ParamList axis_results(const AxisEstimates& e, const AxisDecision& d) {
  ParamList out;
  out.number("axis_intercept", d.axis.intercept);
  out.number("axis_slope", d.axis.slope);
  out.number("axis_kernel_center", d.axis.kernel_center);
  out.text("axis_model", d.axis.slope != 0 ? "line" : "constant");
  out.text("axis_source", d.source);
  const RobustFit* chosen = d.source == "opposite projections" ? &d.opposite
                            : d.source == "Vo's method"        ? &d.vo
                                                               : nullptr;
  if (chosen != nullptr) {
    out.number("axis_spread", chosen->spread);
    out.number("axis_uncertainty", chosen->uncertainty);
  }
  std::string rows;
  for (const int64_t r : e.rows) rows += (rows.empty() ? "" : ", ") + std::to_string(r);
  out.text("sample_rows", rows);
  add_method(out, "vo", e.vo, d.vo, d.vo_usable);
  add_method(out, "opposite", e.opposite, d.opposite, d.opposite_usable);
  std::vector<std::optional<double>> errors;
  for (size_t k = 0; k < e.opposite.size(); ++k)
    errors.push_back(e.opposite[k] ? std::optional(e.opposite_error[k]) : std::nullopt);
  out.text("opposite_errors", list_of(errors));
  out.integer("opposite_pairs", e.pairs);
  out.integer("opposite_interpolated_pairs", e.interpolated_pairs);
  out.integer("opposite_pairs_used", e.pairs_used);
  out.number("opposite_worst_mismatch_degrees", e.worst_pair_mismatch * kDegrees);
  out.number("edge_signal", e.edge_signal);
  out.integer("truncated", d.truncated ? 1 : 0, H5IO_PARAM_BOOL);
  out.number("search_low", e.low);
  out.number("search_high", e.high);
  if (d.disagreement) out.number("disagreement", *d.disagreement);
  if (!d.warning.empty()) out.text("warning", d.warning);
  return out;
}

AxisLine axis_from_results(std::span<const h5io_param_t> results) {
  AxisLine axis;
  axis.intercept = find(results, "axis_intercept").float_value;
  axis.slope = find(results, "axis_slope").float_value;
  axis.kernel_center = find(results, "axis_kernel_center").float_value;
  if (!std::isfinite(axis.intercept) || !std::isfinite(axis.slope) ||
      !std::isfinite(axis.kernel_center))
    throw Error("the scan-wide step's axis is not a finite number");
  return axis;
}

} // namespace h5io::fbp
