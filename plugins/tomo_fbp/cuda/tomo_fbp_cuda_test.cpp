// Standalone check of tomo_fbp's GPU back end against an independent
// double-precision reference (testing/phantom_reference.hpp): needs only
// the CUDA toolkit, prints one PASS/FAIL/SKIP line per case and exits
// non-zero on any failure; without a visible GPU it prints
// "SKIP: no CUDA device" and exits 0.
//
// Cases: N = 256, P = 360 from raw uint16 counts with darks and flats (the
// GPU's normalisation), zero padding, an off-centre axis, a mask, 6 slices
// in GPU batches of 4 (both slots, a partial pass); N = 1024, P = 1024 from
// float line integrals with edge padding, 2 slices. Each slice must reach
// Pearson > 0.999 and relative L2 < 1e-3 against the reference.
#include "gpu_device.hpp"
#include "gpu_reconstructor.hpp"
#include "gpu_staging.hpp"
#include "phantom_reference.hpp"

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

using namespace h5io::fbp;
using namespace h5io::fbp::testing;

namespace {

struct Case {
  std::string name;
  int64_t n, p, slices;
  bool counts;
  bool edge_padding;
  double center_offset;
  double mask_ratio; // <= 0: none
  int64_t max_batch;
};

bool run_case(const Case& c) {
  const std::vector<double> angles = uniform_angles(c.p);
  const double center = static_cast<double>(c.n / 2) + c.center_offset;
  const double dark_level = 100, flat_level = 30000;
  const size_t values = static_cast<size_t>(c.p * c.n);
  std::vector<uint16_t> counts;
  std::vector<float> integrals;
  std::vector<std::vector<double>> references;
  ReferenceOptions ro;
  ro.edge_padding = c.edge_padding;
  ro.center = center;
  ro.mask_radius = c.mask_ratio > 0 ? c.mask_ratio * static_cast<double>(c.n / 2) : -1.0;
  for (int64_t s = 0; s < c.slices; ++s) {
    const std::vector<Ellipse> phantom =
        head_phantom(0.4 * static_cast<double>(c.n), 0.01, static_cast<int>(s));
    std::vector<double> line = sinogram(phantom, angles, c.n, center);
    if (c.counts) {
      const std::vector<uint16_t> raw = counts_of(line, dark_level, flat_level);
      counts.insert(counts.end(), raw.begin(), raw.end());
      for (size_t i = 0; i < values; ++i) // what the reference sees: the same counts
        line[i] = -std::log((raw[i] - dark_level) / flat_level);
    } else {
      for (const double v : line) integrals.push_back(static_cast<float>(v));
    }
    references.push_back(reference_fbp(line, angles, c.n, ro));
  }

  gpu::GpuGeometry geometry;
  geometry.cols = c.n;
  geometry.angles = angles;
  geometry.padding = c.edge_padding ? Padding::edge : Padding::zero;
  geometry.center = center;
  if (c.mask_ratio > 0) geometry.mask_radius = c.mask_ratio * static_cast<double>(c.n / 2);
  gpu::GpuTuning tuning;
  tuning.max_batch = c.max_batch;
  gpu::GpuReconstructor recon(geometry, tuning);

  std::vector<uint16_t> darks(static_cast<size_t>(c.slices * 2 * c.n),
                              static_cast<uint16_t>(dark_level));
  std::vector<uint16_t> flats(static_cast<size_t>(c.slices * 3 * c.n),
                              static_cast<uint16_t>(dark_level + flat_level));
  const gpu::RowSlices proj = c.counts
                                  ? gpu::RowSlices{counts.data(), H5IO_UINT16, values * 2, c.p}
                                  : gpu::RowSlices{integrals.data(), H5IO_FLOAT32, values * 4, c.p};
  const gpu::RowSlices dark{darks.data(), H5IO_UINT16, static_cast<size_t>(2 * c.n) * 2, 2};
  const gpu::RowSlices flat{flats.data(), H5IO_UINT16, static_cast<size_t>(3 * c.n) * 2, 3};
  std::vector<float> images(static_cast<size_t>(c.slices * c.n * c.n));
  recon.run(
      c.slices, c.counts ? gpu::InputKind::counts : gpu::InputKind::line_integrals, proj.dtype,
      [&](int64_t first, int64_t count, const gpu::StagingArea& area) {
        for (int64_t k = 0; k < count; ++k)
          gpu::stage_slice(proj, dark, flat, c.n, c.counts, first + k, k, area);
      },
      images.data());

  bool ok = true;
  for (int64_t s = 0; s < c.slices; ++s) {
    const float* image = images.data() + s * c.n * c.n;
    const double r = pearson(image, references[static_cast<size_t>(s)]);
    const double l2 = relative_l2(image, references[static_cast<size_t>(s)]);
    const bool pass = r > 0.999 && l2 < 1e-3 && std::isfinite(r) && std::isfinite(l2);
    std::printf("%s: %s slice %lld: pearson %.7f, relative L2 %.3e (GPU batch %lld)\n",
                pass ? "PASS" : "FAIL", c.name.c_str(), static_cast<long long>(s), r, l2,
                static_cast<long long>(recon.batch_slices()));
    ok = ok && pass;
  }
  return ok;
}

} // namespace

int main() {
  std::string why;
  if (gpu::visible_device_count(why) == 0) {
    std::printf("SKIP: no CUDA device (%s)\n", why.c_str());
    return 0;
  }
  bool ok = true;
  try {
    std::printf("device: %s\n", gpu::bind_device(0).c_str());
    const Case cases[] = {
        {"N=256 P=360 counts, zero padding, centre +3.37, mask", 256, 360, 6, true, false, 3.37,
         0.95, 4},
        {"N=256 P=360 counts, edge padding, centre -1.5", 256, 360, 5, true, true, -1.5, 0, 0},
        {"N=1024 P=1024 line integrals, edge padding, centre +0.25", 1024, 1024, 2, false, true,
         0.25, 0, 0},
    };
    for (const Case& c : cases) ok = run_case(c) && ok;
  } catch (const std::exception& e) {
    std::printf("FAIL: %s\n", e.what());
    return 1;
  }
  std::printf("%s\n", ok ? "PASS: all cases" : "FAIL: some cases");
  return ok ? 0 : 1;
}
