// See axis_fit.hpp.
#include "axis_fit.hpp"

#include "center_opposite.hpp"
#include "center_vo.hpp"
#include "sinogram_prep.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace h5io::fbp {
namespace {

std::string px(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.2f", value);
  return buffer;
}

struct Points {
  std::vector<double> x, y, errors;
};

// The rows that gave an estimate; their standard errors when known.
Points points_of(const AxisEstimates& e, const std::vector<std::optional<double>>& values,
                 const std::vector<double>* errors) {
  Points p;
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i]) {
      p.x.push_back(static_cast<double>(e.rows[i]));
      p.y.push_back(*values[i]);
      if (errors != nullptr) p.errors.push_back((*errors)[i]);
    }
  return p;
}

// See AxisEstimates::edge_signal.
double edge_signal(const float* sinogram, int64_t angles, int64_t cols) {
  if (cols < 4) return 0;
  std::vector<double> mean(static_cast<size_t>(cols), 0.0);
  for (int64_t p = 0; p < angles; ++p)
    for (int64_t u = 0; u < cols; ++u) mean[static_cast<size_t>(u)] += sinogram[p * cols + u];
  double peak = 0;
  for (const double m : mean) peak = std::max(peak, m);
  if (!(peak > 0)) return 0;
  const double edge = 0.25 * (mean[0] + mean[1] + mean[static_cast<size_t>(cols - 2)] +
                              mean[static_cast<size_t>(cols - 1)]);
  return std::max(0.0, edge / peak);
}

} // namespace

std::vector<int64_t> axis_sample_rows(int64_t rows) {
  std::vector<int64_t> out;
  if (rows <= 0) return out;
  if (rows <= kAxisSampleRows) {
    for (int64_t r = 0; r < rows; ++r) out.push_back(r);
    return out;
  }
  const int64_t margin = rows >= 2 * kAxisSampleRows ? rows / 20 : 0;
  const int64_t lo = margin, hi = rows - 1 - margin;
  for (int64_t k = 0; k < kAxisSampleRows; ++k) // steps >= 1: distinct and ascending
    out.push_back(lo + ((hi - lo) * k + (kAxisSampleRows - 1) / 2) / (kAxisSampleRows - 1));
  return out;
}

AxisEstimates measure_axis(const Options& options, const ScanShape& shape,
                           std::span<const double> angles, std::span<const int64_t> rows,
                           const RawSlices& projections, const RawSlices& darks,
                           const RawSlices& flats, numerics::ThreadPool& pool) {
  const CenterFinder vo(shape.cols, angles, options.center_search);
  const OppositeMatcher opposite(shape.cols, angles, vo.lowest(), vo.highest());
  AxisEstimates e;
  e.rows.assign(rows.begin(), rows.end());
  e.vo.resize(rows.size());
  e.opposite.resize(rows.size());
  e.opposite_error.assign(rows.size(), 0.0);
  for (const OppositePair& pair : opposite.pairs()) {
    (pair.measured ? e.pairs : e.interpolated_pairs) += 1;
    if (pair.measured) e.worst_pair_mismatch = std::max(e.worst_pair_mismatch, pair.mismatch);
  }
  e.pairs_used = opposite.pairs_used();
  e.low = vo.lowest();
  e.high = vo.highest();
  std::vector<double> edges(rows.size(), 0.0);
  pool.parallel_for(static_cast<int64_t>(rows.size()), [&](int64_t k) {
    std::vector<float> sinogram(static_cast<size_t>(shape.angles * shape.cols));
    prepare_sinogram(options, shape, projections, darks, flats, k, sinogram.data());
    e.vo[static_cast<size_t>(k)] = vo.search(sinogram.data());
    if (const std::optional<OppositeEstimate> found = opposite.find(sinogram.data())) {
      e.opposite[static_cast<size_t>(k)] = found->center;
      e.opposite_error[static_cast<size_t>(k)] = found->error;
    }
    edges[static_cast<size_t>(k)] = edge_signal(sinogram.data(), shape.angles, shape.cols);
  });
  if (!edges.empty()) {
    std::sort(edges.begin(), edges.end());
    e.edge_signal = edges[edges.size() / 2];
  }
  return e;
}

AxisDecision decide_axis(const AxisEstimates& e, int64_t rows, int64_t cols) {
  AxisDecision d;
  const double middle = 0.5 * static_cast<double>(rows - 1);
  const size_t samples = e.rows.size();
  const auto fit = [&](const std::vector<std::optional<double>>& values,
                       const std::vector<double>* errors, bool& usable) {
    const Points p = points_of(e, values, errors);
    const RobustFit f = robust_axis_fit(p.x, p.y, middle, {}, p.errors);
    // At least half the sample rows must have given an estimate, and the
    // fit must keep at least 3 of them (or all, when fewer were sampled).
    usable = f.valid && 2 * p.y.size() >= samples &&
             f.inliers >= std::min<int64_t>(3, static_cast<int64_t>(p.y.size()));
    return f;
  };
  d.vo = fit(e.vo, nullptr, d.vo_usable);
  d.opposite =
      fit(e.opposite, e.opposite_error.size() == e.opposite.size() ? &e.opposite_error : nullptr,
          d.opposite_usable);

  d.truncated = e.edge_signal > kTruncatedEdge;
  const RobustFit* chosen = nullptr;
  if (d.vo_usable && d.opposite_usable)
    chosen = d.truncated || d.opposite.uncertainty <= d.vo.uncertainty ? &d.opposite : &d.vo;
  else if (d.opposite_usable)
    chosen = &d.opposite;
  else if (d.vo_usable)
    chosen = &d.vo;

  std::vector<std::string> warnings;
  if (chosen == nullptr) {
    d.source = "none (nominal centre)";
    d.axis.intercept = static_cast<double>(cols / 2);
    d.axis.slope = 0;
    warnings.push_back("no rotation axis could be found in the sample rows (neither Vo's method "
                       "nor opposite projections gave enough estimates); reconstructing about "
                       "the detector's middle column " +
                       px(d.axis.intercept) + "; give the centre with center=COLUMN");
  } else {
    d.source = chosen == &d.opposite ? "opposite projections" : "Vo's method";
    d.axis.intercept = chosen->intercept;
    d.axis.slope = chosen->slope;
  }
  // The axis at the middle row (exactly the intercept for one centre).
  d.axis.kernel_center =
      d.axis.slope == 0 ? d.axis.intercept : d.axis.intercept + d.axis.slope * middle;

  if (d.vo_usable && d.opposite_usable && !e.rows.empty()) {
    const auto gap = [&](double row) { return std::fabs(d.vo.at(row) - d.opposite.at(row)); };
    d.disagreement =
        std::max(gap(static_cast<double>(e.rows.front())), gap(static_cast<double>(e.rows.back())));
    if (*d.disagreement > kAxisDisagreement)
      warnings.push_back(
          "the rotation axis from Vo's method (" + px(d.vo.at(middle)) +
          " at the middle row) and from opposite projections (" + px(d.opposite.at(middle)) +
          ") differ by up to " + px(*d.disagreement) + " px; using " + d.source +
          (d.truncated ? std::string(" (the projections are truncated)")
                       : " (the smaller uncertainty, " + px(chosen->uncertainty) + " px)") +
          "; check the scan, or give the centre with center=COLUMN");
  }
  if (e.pairs + e.interpolated_pairs > 0 && !d.opposite_usable && chosen != nullptr)
    warnings.push_back("matching opposite projections gave too few estimates (" +
                       std::to_string(std::count_if(e.opposite.begin(), e.opposite.end(),
                                                    [](const auto& v) { return v.has_value(); })) +
                       " of " + std::to_string(samples) +
                       " sample rows): the axis rests on Vo's method alone");
  if (d.truncated && chosen == &d.vo)
    warnings.push_back("the projections are truncated (the object reaches past the detector's "
                       "edges), where Vo's method may be biased, and there are no usable "
                       "opposite projections (a scan over 180 or 360 degrees has them)");
  if (!d.vo_usable && chosen != nullptr)
    warnings.push_back("Vo's method gave too few estimates: the axis rests on opposite "
                       "projections alone");
  for (const std::string& w : warnings) d.warning += (d.warning.empty() ? "" : "; ") + w;
  return d;
}

} // namespace h5io::fbp
