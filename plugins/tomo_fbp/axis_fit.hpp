#pragma once
// The scan-wide rotation axis (center=auto): measured once per job on a few
// sinograms spread over the detector's height, then used for every slice.
//
// 1. Sample rows (axis_sample_rows): every row of a scan of up to 32 rows;
//    otherwise 32 rows evenly spread, leaving out the outer 5 % at top and
//    bottom once there are 64 rows or more (edge rows of a detector are the
//    likeliest to be vignetted or empty).
// 2. Two independent estimates per sample row (measure_axis), on the line
//    integrals prepared as for reconstruction (normalised, rings removed
//    when asked): Vo's method (center_vo.hpp) and matching opposite
//    projections (center_opposite.hpp; only where the angles hold pairs
//    half a turn apart), over the same search range.
// 3. A robust fit of each (robust_fit.hpp): the median, or a line when the
//    slope is significant, outliers rejected; opposite projections' rows
//    weighted by their own standard errors (rows with little structure or
//    much noise count less), Vo's equally.
// 4. The rule (decide_axis): each fit is usable when at least half the
//    sample rows gave an estimate.
//    * Truncated projections (the outermost columns carry more than 10 % of
//      the peak column's mean line integral): Vo's method assumes the
//      object stays inside the field of view (its mirrored full turn wraps
//      the detector's edges round; with signal there the seam is there for
//      every candidate and pulls the answer towards the detector's own
//      mirror centre: on a 26-column scan with its axis at 12.3 the rows'
//      estimates spread from 7.0 to 17.5). Opposite projections match
//      column for column whatever the object, so they are used when usable.
//    * Otherwise both methods are valid, and the axis is the usable fit
//      with the smaller uncertainty (the standard error of the fitted
//      centre at the middle row, from the kept rows' scatter about the fit,
//      floored at 0.1 px); a tie goes to the opposite projections, which
//      rest on an exact identity.
//    When both are usable and differ by more than 1 px anywhere over the
//    sampled rows, a warning says so. When neither is usable the nominal
//    centre floor(cols/2) is used, with a warning.

#include "options.hpp"
#include "robust_fit.hpp"
#include "scan_data.hpp"
#include "thread_pool.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace h5io::fbp {

inline constexpr int64_t kAxisSampleRows = 32;
inline constexpr double kAxisDisagreement = 1.0; // pixels
inline constexpr double kTruncatedEdge = 0.1;    // AxisEstimates::edge_signal

std::vector<int64_t> axis_sample_rows(int64_t rows);

struct AxisEstimates {
  std::vector<int64_t> rows;                   // the sample rows
  std::vector<std::optional<double>> vo;       // per sample row
  std::vector<std::optional<double>> opposite; // per sample row; all empty without pairs
  std::vector<double> opposite_error;          // per sample row: OppositeEstimate::error
  int64_t pairs = 0;                           // opposite pairs with a measured partner
  int64_t interpolated_pairs = 0;              // ... with a partner interpolated in angle
  int64_t pairs_used = 0;                      // of all these, the matcher compares
  double worst_pair_mismatch = 0;              // radians, over the measured pairs used
  double low = 0, high = 0;                    // the search range (columns)
  // How truncated the projections are: per sample row, the mean line
  // integral of the outermost two columns on each side over the peak
  // column's mean (both over all angles); the median over the rows.
  double edge_signal = 0;
};

// Measures both estimates on `count` slices (the sample rows, in order)
// delivered as the host delivers a batch. Uses the pool (one task per row).
AxisEstimates measure_axis(const Options& options, const ScanShape& shape,
                           std::span<const double> angles, std::span<const int64_t> rows,
                           const RawSlices& projections, const RawSlices& darks,
                           const RawSlices& flats, numerics::ThreadPool& pool);

struct AxisDecision {
  AxisLine axis;
  std::string source; // "opposite projections", "Vo's method", "none (nominal centre)"
  RobustFit vo, opposite;
  bool vo_usable = false, opposite_usable = false;
  bool truncated = false;             // edge_signal > kTruncatedEdge
  std::optional<double> disagreement; // pixels, when both are usable
  std::string warning;                // empty when all is well
};

// Applies the rule above. `rows` is the scan's number of detector rows.
AxisDecision decide_axis(const AxisEstimates& estimates, int64_t rows, int64_t cols);

} // namespace h5io::fbp
