#pragma once
// The 3-D modified Shepp-Logan head phantom as a sum of uniform ellipsoids,
// with its density and its exact (analytic) parallel-beam line integrals, in
// the geometry of ARCHITECTURE.md, "Tomography geometry": lengths in detector pixels, density mu
// in 1/pixel, the rotation axis vertical through the phantom's centre.

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace h5io::phantom {

// One row of the phantom table, in the phantom's unit cube [-1, 1]^3.
struct Ellipsoid {
  double intensity;   // added density inside (relative units)
  double a, b, c;     // semi-axes along x, y (before rotation) and z
  double x0, y0, z0;  // centre
  double phi_degrees; // rotation about the vertical (z) axis, counterclockwise
};

// The modified Shepp-Logan table (MATLAB phantom3d 'Modified Shepp-Logan',
// intensities 1, -0.8, -0.2, -0.2, 0.1, ...).
std::span<const Ellipsoid> modified_shepp_logan();

// A uniform ellipse in one horizontal plane, in pixel units.
struct Ellipse {
  double density;        // 1/pixel
  double semi_a, semi_b; // semi-axes (pixels) along the rotated x and y directions
  double x0, y0;         // centre (pixels, relative to the rotation axis; Y up)
  double phi;            // rotation, radians, counterclockwise from +X
};

// The phantom cut by one horizontal plane: a sum of ellipses.
class Section {
public:
  explicit Section(std::vector<Ellipse> ellipses) : ellipses_(std::move(ellipses)) {}

  const std::vector<Ellipse>& ellipses() const { return ellipses_; }

  // mu at (x, y) (pixels, relative to the axis), 1/pixel.
  double density(double x, double y) const;

  // The exact integral of mu along the line x cos(theta) + y sin(theta) = t.
  double line_integral(double theta, double t) const;

  // out[k] = line_integral(theta, first_t + k): one detector row at one
  // angle, computed only where each ellipse's shadow falls.
  void line_integrals(double theta, double first_t, std::span<double> out) const;

  // Pixel rows [first_iy, first_iy + rows) of the n x n image of mu, each
  // pixel the mean of `subsamples` x `subsamples` points spread evenly over
  // it (so edge pixels hold the covered fraction). Pixel (iy, ix) has its
  // centre at X = ix - n/2, Y = n/2 - iy (integer division). `image` holds
  // exactly those rows, [rows][n].
  void render_rows(int64_t n, int64_t first_iy, int subsamples, std::span<float> image) const;

private:
  std::vector<Ellipse> ellipses_;
};

// The phantom scaled onto a reconstruction grid of `size` x `size` pixels:
// its [-1, 1] square spans `size` pixels (R = size / 2 pixels per unit), with
// voxels as tall as they are wide. Densities are the table's intensities
// times `attenuation / size` per pixel, so the line integral through a shape
// of intensity 1 and diameter 2 units is `attenuation` times its intensity.
//
// `scale` > 1 makes the phantom that much larger in every direction, with
// its densities divided by `scale` so the line integrals keep their range:
// on the same grid it then reaches past the detector (truncated scans).
class SheppLogan {
public:
  SheppLogan(int64_t size, double attenuation, double scale = 1.0);

  double pixels_per_unit() const { return pixels_per_unit_; }

  // The height (pixels, 0 = the phantom's middle) of detector row `row` of
  // `rows` rows centred on the phantom's middle: row + 0.5 - rows / 2.
  static double row_height(int64_t row, int64_t rows);

  // The horizontal cut at height z (pixels).
  Section section(double z) const;

  // mu at (x, y, z) (pixels), 1/pixel.
  double density(double x, double y, double z) const { return section(z).density(x, y); }

  // The exact line integral at height z along x cos(theta) + y sin(theta) = t,
  // where t = u - c for detector column u and axis position c.
  double line_integral(double theta, double t, double z) const {
    return section(z).line_integral(theta, t);
  }

private:
  double pixels_per_unit_;
  double density_scale_;
};

} // namespace h5io::phantom
