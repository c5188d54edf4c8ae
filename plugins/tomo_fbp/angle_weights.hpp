#pragma once
// Per-projection weights of the back-projection sum for any set of angles
// (ARCHITECTURE.md, "Tomography geometry"): projection p owns the angular width w_p halfway to
// its neighbours (sorted by angle); the first and last own half the gap to
// their one neighbour plus half the mean gap. The returned factors are
// (pi / sum w) * 1/2 * w_p, so that the reconstruction is
//     mu(x) = sum_p factor_p * q_p(u(x, theta_p))
// with q_p the ramp-filtered projection. For P uniform angles over pi every
// factor is pi / (2P), exactly scikit-image's iradon scale; over 2 pi the
// division by sum w makes the total weight pi again.

#include <cstdint>
#include <span>
#include <vector>

namespace h5io::fbp {

// The scan's angles as a back end keeps them, once checked: one per
// projection (`expected`), each finite. Throws Error naming the problem.
std::vector<double> checked_angles(std::span<const double> angles, int64_t expected);

std::vector<double> backprojection_factors(std::span<const double> angles);

} // namespace h5io::fbp
