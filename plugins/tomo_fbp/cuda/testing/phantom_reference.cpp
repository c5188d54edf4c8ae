// See phantom_reference.hpp.
#include "phantom_reference.hpp"

#include "filter_response.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <thread>

namespace h5io::fbp::testing {
namespace {

using std::numbers::pi;

// Runs body(i) for i in [0, n) on all cores.
template <class F> void parallel_rows(int64_t n, F&& body) {
  const int64_t threads =
      std::max<int64_t>(1, std::min<int64_t>(n, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int64_t t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int64_t i = t; i < n; i += threads) body(i);
    });
  for (std::thread& th : pool) th.join();
}

} // namespace

std::vector<Ellipse> head_phantom(double radius, double rho, int variant) {
  const double t[10][6] = {{1, .69, .92, 0, 0, 0},        {-.8, .6624, .874, 0, -.0184, 0},
                           {-.2, .11, .31, .22, 0, -18},  {-.2, .16, .41, -.22, 0, 18},
                           {.1, .21, .25, 0, .35, 0},     {.1, .046, .046, 0, .1, 0},
                           {.1, .046, .046, 0, -.1, 0},   {.1, .046, .023, -.08, -.605, 0},
                           {.1, .023, .023, 0, -.606, 0}, {.1, .023, .046, .06, -.605, 0}};
  std::vector<Ellipse> out;
  for (const auto& r : t)
    out.push_back({r[0] * rho, r[1] * radius, r[2] * radius, r[3] * radius, r[4] * radius,
                   r[5] * pi / 180.0});
  // A small blob that moves with the variant.
  out.push_back({0.5 * rho, 0.05 * radius, 0.08 * radius, 0.3 * radius * std::cos(variant),
                 0.3 * radius * std::sin(variant), 0.3 * variant});
  return out;
}

std::vector<double> uniform_angles(int64_t p) {
  std::vector<double> a(static_cast<size_t>(p));
  for (int64_t i = 0; i < p; ++i)
    a[static_cast<size_t>(i)] = pi * static_cast<double>(i) / static_cast<double>(p);
  return a;
}

std::vector<double> sinogram(const std::vector<Ellipse>& phantom, const std::vector<double>& angles,
                             int64_t cols, double center) {
  std::vector<double> s(angles.size() * static_cast<size_t>(cols));
  parallel_rows(static_cast<int64_t>(angles.size()), [&](int64_t p) {
    const double theta = angles[static_cast<size_t>(p)];
    for (int64_t u = 0; u < cols; ++u) {
      double sum = 0;
      for (const Ellipse& e : phantom) {
        const double d =
            static_cast<double>(u) - center - (e.x0 * std::cos(theta) + e.y0 * std::sin(theta));
        const double ct = std::cos(theta - e.phi), st = std::sin(theta - e.phi);
        const double a2 = e.a * e.a * ct * ct + e.b * e.b * st * st;
        if (a2 > d * d) sum += 2.0 * e.rho * e.a * e.b * std::sqrt(a2 - d * d) / a2;
      }
      s[static_cast<size_t>(p * cols + u)] = sum;
    }
  });
  return s;
}

std::vector<uint16_t> counts_of(const std::vector<double>& line_integrals, double dark,
                                double flat) {
  std::vector<uint16_t> out(line_integrals.size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<uint16_t>(std::lround(dark + flat * std::exp(-line_integrals[i])));
  return out;
}

std::vector<double> reference_fbp(const std::vector<double>& line_integrals,
                                  const std::vector<double>& angles, int64_t cols,
                                  const ReferenceOptions& options) {
  const int64_t p_count = static_cast<int64_t>(angles.size());
  const int64_t m = padded_length(cols);
  // The discrete ramp kernel, circular over m; filtering with
  // 2 * real(fft(f)) is circular convolution with 2 f.
  std::vector<double> kernel(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) {
    const double k = static_cast<double>(std::min(i, m - i));
    kernel[static_cast<size_t>(i)] = i == 0 ? 0.5
                                     : (k == 0 || std::fmod(k, 2.0) == 0.0)
                                         ? 0.0
                                         : -2.0 / ((pi * k) * (pi * k));
  }
  std::vector<double> filtered(static_cast<size_t>(p_count * cols));
  parallel_rows(p_count, [&](int64_t p) {
    const double* row = line_integrals.data() + p * cols;
    std::vector<double> padded(static_cast<size_t>(m), 0.0);
    std::copy(row, row + cols, padded.begin());
    if (options.edge_padding) {
      const int64_t tail = m - cols;
      std::fill(padded.begin() + cols, padded.begin() + cols + tail / 2, row[cols - 1]);
      std::fill(padded.begin() + cols + tail / 2, padded.end(), row[0]);
    }
    for (int64_t u = 0; u < cols; ++u) {
      double sum = 0;
      for (int64_t j = 0; j < m; ++j)
        sum += padded[static_cast<size_t>(j)] * kernel[static_cast<size_t>(((u - j) % m + m) % m)];
      filtered[static_cast<size_t>(p * cols + u)] = sum;
    }
  });
  const double weight = pi / (2.0 * static_cast<double>(p_count));
  const int64_t n = cols, half = n / 2;
  std::vector<double> image(static_cast<size_t>(n * n), 0.0);
  parallel_rows(n, [&](int64_t iy) {
    for (int64_t ix = 0; ix < n; ++ix) {
      const double dx = static_cast<double>(ix - half), dy = static_cast<double>(iy - half);
      if (options.mask_radius >= 0 && dx * dx + dy * dy > options.mask_radius * options.mask_radius)
        continue;
      double sum = 0;
      for (int64_t p = 0; p < p_count; ++p) {
        const double theta = angles[static_cast<size_t>(p)];
        const double u = options.center + dx * std::cos(theta) - dy * std::sin(theta);
        if (u < 0 || u > static_cast<double>(cols - 1)) continue;
        const int64_t i = static_cast<int64_t>(u);
        const double f = u - static_cast<double>(i);
        const double q0 = filtered[static_cast<size_t>(p * cols + i)];
        const double q1 = i + 1 < cols ? filtered[static_cast<size_t>(p * cols + i + 1)] : 0.0;
        sum += q0 + f * (q1 - q0);
      }
      image[static_cast<size_t>(iy * n + ix)] = weight * sum;
    }
  });
  return image;
}

double pearson(const float* a, const std::vector<double>& b) {
  const double n = static_cast<double>(b.size());
  double ma = 0, mb = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    const double da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / std::sqrt(saa * sbb);
}

double relative_l2(const float* a, const std::vector<double>& b) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    diff += (a[i] - b[i]) * (a[i] - b[i]);
    norm += b[i] * b[i];
  }
  return std::sqrt(diff / norm);
}

} // namespace h5io::fbp::testing
