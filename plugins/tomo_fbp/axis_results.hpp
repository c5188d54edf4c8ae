#pragma once
// The scan-wide axis fit as job_setup's results (recorded by the host in the
// log, the partial output and /provenance/job_setup, and written by
// tomo_fbp as attributes of the centre output), and the axis read back from
// them in apply_job_setup. Keys:
//   axis_intercept, axis_slope, axis_kernel_center   FLOAT: what every slice uses
//   axis_model ("constant" | "line"), axis_source     STRING
//   axis_spread, axis_uncertainty                     FLOAT (pixels)
//   sample_rows                                       STRING: "r0, r1, ..."
//   vo_* and opposite_*: centers (per sample row, "nan" where none),
//     estimates, inliers (INT), model ("constant" | "line" | "none"), and
//     when usable intercept, slope, spread, uncertainty (FLOAT)
//   opposite_pairs, opposite_interpolated_pairs, opposite_pairs_used (INT),
//     opposite_worst_mismatch_degrees (FLOAT)
//   edge_signal (FLOAT), truncated (BOOL): see AxisEstimates, decide_axis
//   search_low, search_high (FLOAT), disagreement (FLOAT, both usable)
//   warning (STRING, only when there is one)

#include "axis_fit.hpp"
#include "param_list.hpp"

#include "h5io_plugin.h"

#include <span>

namespace h5io::fbp {

ParamList axis_results(const AxisEstimates& estimates, const AxisDecision& decision);

// Throws Error when a key is missing or of the wrong type.
AxisLine axis_from_results(std::span<const h5io_param_t> results);

} // namespace h5io::fbp
