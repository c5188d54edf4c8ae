// See angle_weights.hpp.
#include "angle_weights.hpp"

#include "error.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <string>

namespace h5io::fbp {

std::vector<double> checked_angles(std::span<const double> angles, int64_t expected) {
  if (static_cast<int64_t>(angles.size()) != expected)
    throw Error("the scan has " + std::to_string(expected) + " projections but " +
                std::to_string(angles.size()) + " rotation angles");
  for (size_t i = 0; i < angles.size(); ++i)
    if (!std::isfinite(angles[i]))
      throw Error("rotation angle " + std::to_string(i) + " is not a finite number");
  return {angles.begin(), angles.end()};
}

std::vector<double> backprojection_factors(std::span<const double> angles) {
  const size_t n = angles.size();
  std::vector<double> factors(n, 0.0);
  if (n == 0) return factors;
  if (n == 1) {
    factors[0] = std::numbers::pi / 2.0; // pi / (2P), as for uniform angles
    return factors;
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return angles[a] < angles[b]; });
  const double mean_gap = (angles[order[n - 1]] - angles[order[0]]) / static_cast<double>(n - 1);
  std::vector<double> width(n);
  for (size_t k = 0; k < n; ++k) {
    const double below = k > 0 ? angles[order[k]] - angles[order[k - 1]] : mean_gap;
    const double above = k + 1 < n ? angles[order[k + 1]] - angles[order[k]] : mean_gap;
    width[order[k]] = 0.5 * (below + above);
  }
  const double total = std::accumulate(width.begin(), width.end(), 0.0);
  if (!(total > 0)) { // every angle equal: weigh them equally
    std::fill(factors.begin(), factors.end(), std::numbers::pi / (2.0 * static_cast<double>(n)));
    return factors;
  }
  for (size_t p = 0; p < n; ++p) factors[p] = std::numbers::pi / total * 0.5 * width[p];
  return factors;
}

} // namespace h5io::fbp
