// Helpers shared by tomo_fbp's unit tests (tomo_fbp_test.cpp and
// tomo_fbp_gpu_test.cpp): analytic phantoms of ellipses and their exact
// sinograms (ARCHITECTURE.md, "Tomography geometry"), the modified
// Shepp-Logan head, evenly spaced angles, and the built tomo_fbp library
// loaded with dlopen as the host loads it, with its ABI entry points. Both tests once carried their
// own copies of these; here there is one, so the two cannot drift apart.
// Header-only: the tests are built into one binary (h5io_tomo_fbp_tests),
// which defines H5IO_TOMO_FBP_MODULE, the path of the built library.
#pragma once

#include "h5io_plugin.h"

#include <dlfcn.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <vector>

namespace h5io::fbp::test {

// ---- analytic phantoms --------------------------------------------------

struct Ellipse {
  double rho;    // density, 1/pixel
  double a, b;   // semi-axes, pixels
  double x0, y0; // centre relative to the axis, pixels (Y up)
  double phi;    // radians
};

// p(theta, u) for detector column u, axis at column c.
inline double line_integral(const std::vector<Ellipse>& phantom, double theta, double u, double c) {
  double sum = 0;
  for (const Ellipse& e : phantom) {
    const double s = u - c - (e.x0 * std::cos(theta) + e.y0 * std::sin(theta));
    const double ct = std::cos(theta - e.phi), st = std::sin(theta - e.phi);
    const double a2 = e.a * e.a * ct * ct + e.b * e.b * st * st;
    if (a2 > s * s) sum += 2.0 * e.rho * e.a * e.b * std::sqrt(a2 - s * s) / a2;
  }
  return sum;
}

// The sinogram [angles][cols] of `phantom`, axis at column c.
inline std::vector<float> sinogram(const std::vector<Ellipse>& phantom,
                                   const std::vector<double>& angles, int64_t cols, double c) {
  std::vector<float> s(angles.size() * static_cast<size_t>(cols));
  for (size_t p = 0; p < angles.size(); ++p)
    for (int64_t u = 0; u < cols; ++u)
      s[p * static_cast<size_t>(cols) + static_cast<size_t>(u)] =
          static_cast<float>(line_integral(phantom, angles[p], static_cast<double>(u), c));
  return s;
}

// The phantom's density at (x, y) (pixels from the axis, Y up).
inline double density(const std::vector<Ellipse>& phantom, double x, double y) {
  double sum = 0;
  for (const Ellipse& e : phantom) {
    const double dx = x - e.x0, dy = y - e.y0;
    const double along = dx * std::cos(e.phi) + dy * std::sin(e.phi);
    const double across = -dx * std::sin(e.phi) + dy * std::cos(e.phi);
    if (along * along / (e.a * e.a) + across * across / (e.b * e.b) <= 1.0) sum += e.rho;
  }
  return sum;
}

// The modified Shepp-Logan head (Toft), scaled to `radius` pixels.
inline std::vector<Ellipse> shepp_logan(double radius, double rho) {
  const double t[10][6] = {{1, .69, .92, 0, 0, 0},        {-.8, .6624, .874, 0, -.0184, 0},
                           {-.2, .11, .31, .22, 0, -18},  {-.2, .16, .41, -.22, 0, 18},
                           {.1, .21, .25, 0, .35, 0},     {.1, .046, .046, 0, .1, 0},
                           {.1, .046, .046, 0, -.1, 0},   {.1, .046, .023, -.08, -.605, 0},
                           {.1, .023, .023, 0, -.606, 0}, {.1, .023, .046, .06, -.605, 0}};
  std::vector<Ellipse> out;
  for (const auto& r : t)
    out.push_back({r[0] * rho, r[1] * radius, r[2] * radius, r[3] * radius, r[4] * radius,
                   r[5] * std::numbers::pi / 180.0});
  return out;
}

// `p` angles evenly spaced over [0, span).
inline std::vector<double> uniform_angles(int64_t p, double span = std::numbers::pi) {
  std::vector<double> a(static_cast<size_t>(p));
  for (int64_t i = 0; i < p; ++i)
    a[static_cast<size_t>(i)] = span * static_cast<double>(i) / static_cast<double>(p);
  return a;
}

// ---- the built library --------------------------------------------------

// The library's entry points that the tests call, in the order the host
// calls them; unpack with a structured binding.
struct Abi {
  h5io_init_fn init;
  h5io_request_input_fn request_input;
  h5io_set_input_slice_fn set_input_slice;
  h5io_request_output_fn request_output;
  h5io_describe_output_fn describe_output;
  h5io_process_batch_fn process_batch;
  h5io_processing_complete_fn processing_complete;
  h5io_get_error_code_fn get_error_code;
};

// tomo_fbp loaded as the host loads it; `handle` is null when dlopen fails
// (dlerror() says why).
struct Module {
  void* handle = dlopen(H5IO_TOMO_FBP_MODULE, RTLD_NOW | RTLD_LOCAL);
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  ~Module() {
    if (handle) dlclose(handle);
  }
  template <class F> F get(const char* name) const {
    return reinterpret_cast<F>(dlsym(handle, name));
  }
  Abi abi() const {
    return {get<h5io_init_fn>("h5io_init"),
            get<h5io_request_input_fn>("request_input"),
            get<h5io_set_input_slice_fn>("set_input_slice"),
            get<h5io_request_output_fn>("request_output"),
            get<h5io_describe_output_fn>("describe_output"),
            get<h5io_process_batch_fn>("process_batch"),
            get<h5io_processing_complete_fn>("processing_complete"),
            get<h5io_get_error_code_fn>("get_error_code")};
  }
};

// A dataspace of `rank` dimensions, `shape` the leading ones.
inline h5io_dataspace_t dataspace(int32_t rank, const std::vector<int64_t>& shape,
                                  h5io_dtype_t dtype) {
  h5io_dataspace_t s{};
  s.rank = rank;
  for (size_t i = 0; i < shape.size(); ++i) s.shape[i] = shape[i];
  s.dtype = dtype;
  return s;
}

} // namespace h5io::fbp::test
