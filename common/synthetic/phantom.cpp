#include "common/synthetic/phantom.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace h5io::phantom {

namespace {

// MATLAB phantom3d's 'Modified Shepp-Logan' (Schabel), columns
// A, a, b, c, x0, y0, z0, phi. Its two tilt angles (theta, psi; psi is 10
// degrees for the two side ellipsoids there) are set to 0 here, so every
// ellipsoid is rotated only about the vertical axis and each horizontal cut
// is an ellipse: a detector row's line integrals are then exact 2-D ellipse
// projections. Unlike phantom3d, which rotates coordinates about the origin
// before subtracting the centre, each ellipse turns about its own centre, as
// in the 2-D phantom and the textbook projection formula.
constexpr std::array<Ellipsoid, 10> kModifiedSheppLogan{{
    {1.0, 0.6900, 0.920, 0.810, 0.00, 0.0000, 0.00, 0.0},
    {-0.8, 0.6624, 0.874, 0.780, 0.00, -0.0184, 0.00, 0.0},
    {-0.2, 0.1100, 0.310, 0.220, 0.22, 0.0000, 0.00, -18.0},
    {-0.2, 0.1600, 0.410, 0.280, -0.22, 0.0000, 0.00, 18.0},
    {0.1, 0.2100, 0.250, 0.410, 0.00, 0.3500, -0.15, 0.0},
    {0.1, 0.0460, 0.046, 0.050, 0.00, 0.1000, 0.25, 0.0},
    {0.1, 0.0460, 0.046, 0.050, 0.00, -0.1000, 0.25, 0.0},
    {0.1, 0.0460, 0.023, 0.050, -0.08, -0.6050, 0.00, 0.0},
    {0.1, 0.0230, 0.023, 0.020, 0.00, -0.6060, 0.00, 0.0},
    {0.1, 0.0230, 0.046, 0.020, 0.06, -0.6050, 0.00, 0.0},
}};

// The ellipse's extent along the direction theta: h^2 = a^2 cos^2(theta -
// phi) + b^2 sin^2(theta - phi) (the square of its support function).
double squared_half_width(const Ellipse& e, double theta) {
  const double c = std::cos(theta - e.phi);
  const double s = std::sin(theta - e.phi);
  return e.semi_a * e.semi_a * c * c + e.semi_b * e.semi_b * s * s;
}

} // namespace

std::span<const Ellipsoid> modified_shepp_logan() {
  return kModifiedSheppLogan;
}

double Section::density(double x, double y) const {
  double mu = 0;
  for (const Ellipse& e : ellipses_) {
    const double dx = x - e.x0;
    const double dy = y - e.y0;
    const double c = std::cos(e.phi);
    const double s = std::sin(e.phi);
    const double along_a = (dx * c + dy * s) / e.semi_a;
    const double along_b = (-dx * s + dy * c) / e.semi_b;
    if (along_a * along_a + along_b * along_b <= 1.0) mu += e.density;
  }
  return mu;
}

double Section::line_integral(double theta, double t) const {
  double p = 0;
  for (const Ellipse& e : ellipses_) {
    const double a2 = squared_half_width(e, theta);
    const double s = t - (e.x0 * std::cos(theta) + e.y0 * std::sin(theta));
    if (a2 > s * s) p += 2.0 * e.density * e.semi_a * e.semi_b * std::sqrt(a2 - s * s) / a2;
  }
  return p;
}

void Section::line_integrals(double theta, double first_t, std::span<double> out) const {
  std::fill(out.begin(), out.end(), 0.0);
  const auto n = static_cast<int64_t>(out.size());
  for (const Ellipse& e : ellipses_) {
    const double a2 = squared_half_width(e, theta);
    const double half_width = std::sqrt(a2);
    const double shadow_centre = e.x0 * std::cos(theta) + e.y0 * std::sin(theta);
    // Only the columns inside the ellipse's shadow; outside it adds nothing.
    const auto first =
        std::max<int64_t>(0, static_cast<int64_t>(std::ceil(shadow_centre - half_width - first_t)));
    const auto last = std::min<int64_t>(
        n - 1, static_cast<int64_t>(std::floor(shadow_centre + half_width - first_t)));
    const double scale = 2.0 * e.density * e.semi_a * e.semi_b / a2;
    for (int64_t k = first; k <= last; ++k) {
      const double s = first_t + static_cast<double>(k) - shadow_centre;
      const double chord_squared = a2 - s * s;
      if (chord_squared > 0) out[static_cast<size_t>(k)] += scale * std::sqrt(chord_squared);
    }
  }
}

void Section::render_rows(int64_t n, int64_t first_iy, int subsamples,
                          std::span<float> image) const {
  const int64_t rows = static_cast<int64_t>(image.size()) / n;
  const double half = static_cast<double>(n / 2);
  const double weight = 1.0 / (subsamples * subsamples);
  std::vector<double> offsets(static_cast<size_t>(subsamples));
  for (int j = 0; j < subsamples; ++j)
    offsets[static_cast<size_t>(j)] = (j + 0.5) / subsamples - 0.5;

  std::vector<double> row(static_cast<size_t>(n));
  for (int64_t r = 0; r < rows; ++r) {
    std::fill(row.begin(), row.end(), 0.0);
    const double pixel_y = half - static_cast<double>(first_iy + r);
    for (const Ellipse& e : ellipses_) {
      // Inside when A dx^2 + B dx + C <= 0 with dx = x - x0, dy = y - y0
      // (the ellipse equation in unrotated coordinates).
      const double c = std::cos(e.phi);
      const double s = std::sin(e.phi);
      const double inv_a2 = 1.0 / (e.semi_a * e.semi_a);
      const double inv_b2 = 1.0 / (e.semi_b * e.semi_b);
      const double quad_a = c * c * inv_a2 + s * s * inv_b2;
      for (const double offset_y : offsets) {
        const double dy = pixel_y + offset_y - e.y0;
        const double quad_b = 2.0 * dy * c * s * (inv_a2 - inv_b2);
        const double quad_c = dy * dy * (s * s * inv_a2 + c * c * inv_b2) - 1.0;
        const double discriminant = quad_b * quad_b - 4.0 * quad_a * quad_c;
        if (discriminant < 0) continue;
        const double root = std::sqrt(discriminant);
        const double left = e.x0 + (-quad_b - root) / (2.0 * quad_a);
        const double right = e.x0 + (-quad_b + root) / (2.0 * quad_a);
        // Sub-sample x = ix - half + offset_x lies in [left, right].
        for (const double offset_x : offsets) {
          const auto first =
              std::max<int64_t>(0, static_cast<int64_t>(std::ceil(left + half - offset_x)));
          const auto last =
              std::min<int64_t>(n - 1, static_cast<int64_t>(std::floor(right + half - offset_x)));
          for (int64_t ix = first; ix <= last; ++ix)
            row[static_cast<size_t>(ix)] += e.density * weight;
        }
      }
    }
    std::transform(row.begin(), row.end(), image.begin() + r * n,
                   [](double mu) { return static_cast<float>(mu); });
  }
}

SheppLogan::SheppLogan(int64_t size, double attenuation, double scale)
    : pixels_per_unit_(scale * static_cast<double>(size) / 2.0),
      density_scale_(attenuation / (scale * static_cast<double>(size))) {}

double SheppLogan::row_height(int64_t row, int64_t rows) {
  return static_cast<double>(row) + 0.5 - static_cast<double>(rows) / 2.0;
}

Section SheppLogan::section(double z) const {
  const double z_unit = z / pixels_per_unit_;
  std::vector<Ellipse> ellipses;
  for (const Ellipsoid& e : kModifiedSheppLogan) {
    const double height = (z_unit - e.z0) / e.c;
    if (height * height >= 1.0) continue;
    const double shrink = std::sqrt(1.0 - height * height);
    ellipses.push_back({e.intensity * density_scale_, e.a * shrink * pixels_per_unit_,
                        e.b * shrink * pixels_per_unit_, e.x0 * pixels_per_unit_,
                        e.y0 * pixels_per_unit_, e.phi_degrees * std::numbers::pi / 180.0});
  }
  return Section(std::move(ellipses));
}

} // namespace h5io::phantom
