// See gridding_kernel.hpp.
#include "gridding_kernel.hpp"

#include <cmath>
#include <numbers>

namespace h5io::fbp {
namespace {

constexpr int kQuadrature = 2000;

double kaiser_bessel(double beta, double t) { // t in units of W/2
  return std::fabs(t) <= 1.0 ? std::cyl_bessel_i(0.0, beta * std::sqrt(1.0 - t * t)) : 0.0;
}

// Beatty et al. (2005), eq. 5: the beta that puts the kernel's first
// side lobe at the edge of the aliased band for width W and ratio sigma.
double kaiser_bessel_beta(double width, double sigma) {
  const double a = width / sigma * (sigma - 0.5);
  return std::numbers::pi * std::sqrt(a * a - 0.8);
}

} // namespace

GriddingKernel::GriddingKernel(int64_t grid)
    : grid_(grid), table_(static_cast<size_t>((kTableSteps + 1) * kWidth)), samples_(kQuadrature) {
  const double beta = kaiser_bessel_beta(kWidth, kOversampling);
  const double half = kWidth / 2.0;
  for (int s = 0; s <= kTableSteps; ++s) {
    const double frac = static_cast<double>(s) / kTableSteps;
    for (int j = 0; j < kWidth; ++j) {
      const double t = (static_cast<double>(j) - half + 1.0 - frac) / half; // in [-1, 1]
      table_[static_cast<size_t>(s * kWidth + j)] = static_cast<float>(kaiser_bessel(beta, t));
    }
  }
  for (int i = 0; i < kQuadrature; ++i)
    samples_[static_cast<size_t>(i)] = kaiser_bessel(beta, -1.0 + (i + 0.5) * 2.0 / kQuadrature);
}

double GriddingKernel::deapodisation(double x) const {
  // The kernel's transform, integral of phi(t) cos(2 pi t x / G) dt over
  // |t| <= W/2, by the midpoint rule: phi is smooth and the integrand
  // oscillates at most a few times over the support, so 2000 points give
  // double precision to spare.
  const double half = kWidth / 2.0;
  const double step = kWidth / static_cast<double>(kQuadrature);
  double sum = 0;
  for (int i = 0; i < kQuadrature; ++i) {
    const double t = -half + (i + 0.5) * step;
    sum += samples_[static_cast<size_t>(i)] *
           std::cos(2.0 * std::numbers::pi * t * x / static_cast<double>(grid_));
  }
  return 1.0 / (sum * step);
}

} // namespace h5io::fbp
