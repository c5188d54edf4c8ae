#pragma once
// What the standalone GPU test and benchmark need besides the library, with
// no FFTW or other Debian library: analytic sinograms of ellipses (exact
// line integrals, ARCHITECTURE.md "Tomography geometry"), raw detector
// counts made from them, and an independent reference FBP in double
// precision: the ramp filter as a direct (circular) convolution with the
// discrete ramp kernel f[0] = 1/4, f[odd n] = -1/(pi n)^2, and the plain
// back-projection triple loop. The reference shares no code with the GPU
// path beyond the padded length.

#include <cstdint>
#include <vector>

namespace h5io::fbp::testing {

struct Ellipse {
  double rho;    // density, 1/pixel
  double a, b;   // semi-axes, pixels
  double x0, y0; // centre relative to the axis, pixels (Y up)
  double phi;    // radians
};

// The modified Shepp-Logan head scaled to `radius` pixels, varied a little
// by `variant` so the slices of a volume differ.
std::vector<Ellipse> head_phantom(double radius, double rho, int variant);

std::vector<double> uniform_angles(int64_t p);

// [P][cols] line integrals, axis at column `center`.
std::vector<double> sinogram(const std::vector<Ellipse>& phantom, const std::vector<double>& angles,
                             int64_t cols, double center);

// Raw uint16 counts for line integrals: dark + flat * exp(-p), rounded.
std::vector<uint16_t> counts_of(const std::vector<double>& line_integrals, double dark,
                                double flat);

struct ReferenceOptions {
  bool edge_padding = false;
  double center = 0;
  double mask_radius = -1; // < 0: no mask
};

// The reference reconstruction of one [P][cols] sinogram of line integrals
// with uniform weights pi / (2P), ramp filter. Multithreaded over rows.
std::vector<double> reference_fbp(const std::vector<double>& line_integrals,
                                  const std::vector<double>& angles, int64_t cols,
                                  const ReferenceOptions& options);

double pearson(const float* a, const std::vector<double>& b);
double relative_l2(const float* a, const std::vector<double>& b); // |a - b| / |b|

} // namespace h5io::fbp::testing
