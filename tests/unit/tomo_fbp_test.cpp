// Unit tests of tomo_fbp's CPU core (plugins/tomo_fbp), against analytic
// truth: sinograms of ellipses computed exactly (ARCHITECTURE.md, "Tomography geometry"), the
// filters as scikit-image builds them, and the plain scalar back-projection
// loop. The last tests load the built library and drive its ABI entry
// points as the host would.
#include "angle_weights.hpp"
#include "backproject.hpp"
#include "center_vo.hpp"
#include "error.hpp"
#include "filter_response.hpp"
#include "options.hpp"
#include "reconstructor.hpp"
#include "ring_removal.hpp"
#include "sinogram_block.hpp"
#include "thread_pool.hpp"
#include "tomo_test_helpers.hpp"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <random>
#include <string>
#include <vector>

using namespace h5io::fbp;
using namespace h5io::fbp::test;
using std::numbers::pi;

namespace {

// ---- analytic phantoms --------------------------------------------------
// (Ellipse, line_integral, sinogram, density and shepp_logan: tomo_test_helpers.hpp.)

// Is (x, y) at least `margin` pixels inside or outside every edge?
bool away_from_edges(const std::vector<Ellipse>& phantom, double x, double y, double margin) {
  for (const Ellipse& e : phantom) {
    const double dx = x - e.x0, dy = y - e.y0;
    const double along = dx * std::cos(e.phi) + dy * std::sin(e.phi);
    const double across = -dx * std::sin(e.phi) + dy * std::cos(e.phi);
    const double r = std::sqrt(along * along / (e.a * e.a) + across * across / (e.b * e.b));
    if (std::fabs(r - 1.0) * std::min(e.a, e.b) < margin) return false;
  }
  return true;
}

// Mean and RMS of (image - truth) over pixels 2+ pixels from any edge and
// inside radius `within` of the centre.
struct ErrorStats {
  double mean = 0, rms = 0;
  int64_t pixels = 0;
};
ErrorStats compare_to_truth(const std::vector<Ellipse>& phantom, const float* image, int64_t n,
                            double within, double margin = 2.5) {
  ErrorStats st;
  const int64_t h = n / 2;
  for (int64_t iy = 0; iy < n; ++iy)
    for (int64_t ix = 0; ix < n; ++ix) {
      const double x = static_cast<double>(ix - h), y = static_cast<double>(h - iy);
      if (x * x + y * y > within * within || !away_from_edges(phantom, x, y, margin)) continue;
      const double d = image[iy * n + ix] - density(phantom, x, y);
      st.mean += d;
      st.rms += d * d;
      ++st.pixels;
    }
  st.mean /= static_cast<double>(st.pixels);
  st.rms = std::sqrt(st.rms / static_cast<double>(st.pixels));
  return st;
}

Options fixed_center(double c) {
  Options o;
  o.center = c;
  o.normalise = false;
  return o;
}

// ---- filters --------------------------------------------------------------

// Reference values: scikit-image 0.19.3 _get_fourier_filter(64, name),
// symmetrised as (H[k] + H[64-k]) / 2 (what iradon applies in effect), at
// k = 0, 1, 2, 5, 16, 31, 32.
TEST(TomoFbpFilter, MatchesScikitImage) {
  const int64_t k[] = {0, 1, 2, 5, 16, 31, 32};
  const std::pair<FilterKind, std::vector<double>> expected[] = {
      {FilterKind::ramp,
       {0.006330515402529435, 0.03051260854933452, 0.06275694586172675, 0.1562031541017631, 0.5,
        0.9694873914506654, 0.9936694845974705}},
      {FilterKind::shepp_logan,
       {0.006330515402529435, 0.03050035630747646, 0.06265618287238785, 0.15463960983426753,
        0.4501581580785531, 0.6363369334099406, 0.6325896410930536}},
      {FilterKind::cosine,
       {0.006330515402529435, 0.030475854776042418, 0.062454754014184384, 0.15152194132627378,
        0.35355339059327384, 0.047570491588239255, 0.0}},
      {FilterKind::hamming,
       {0.006326895511019158, 0.030425500602539835, 0.062149387450903024, 0.14737451159289805,
        0.2642730687874396, 0.07866703946061505, 0.07949355876779765}},
      {FilterKind::hann,
       {0.00632658073784435, 0.030417925998470728, 0.06209655628474445, 0.1466068035486489,
        0.2437750747689561, 0.0012044001571323972, 0.0}},
  };
  for (const auto& [kind, values] : expected) {
    const std::vector<double> h = filter_response(kind, 64);
    ASSERT_EQ(h.size(), 33u);
    for (size_t i = 0; i < values.size(); ++i)
      EXPECT_NEAR(h[static_cast<size_t>(k[i])], values[i], 1e-12)
          << filter_name(kind) << " k=" << k[i];
  }
}

TEST(TomoFbpFilter, RampShapeAndParzen) {
  const std::vector<double> ramp = filter_response(FilterKind::ramp, 1024);
  // The discrete ramp: small positive at DC (the f[0] = 1/4 kernel term),
  // 1/2 at half the Nyquist frequency, ~1 at Nyquist, rising in between.
  EXPECT_GT(ramp[0], 0.0);
  EXPECT_LT(ramp[0], 1e-3);
  EXPECT_NEAR(ramp[256], 0.5, 1e-12);
  for (size_t i = 1; i < ramp.size(); ++i) EXPECT_GT(ramp[i], ramp[i - 1]);
  const std::vector<double> parzen = filter_response(FilterKind::parzen, 1024);
  EXPECT_DOUBLE_EQ(parzen[0], ramp[0]);
  EXPECT_NEAR(parzen[512], 0.0, 1e-15);
  // Parzen window at |f| / Nyquist = 1/2: 1 - 6 (1/4)(1/2) = 1/4.
  EXPECT_NEAR(parzen[256], 0.25 * ramp[256], 1e-12);
  // At 3/4: 2 (1/4)^3.
  EXPECT_NEAR(parzen[384], 2.0 / 64.0 * ramp[384], 1e-12);
}

TEST(TomoFbpFilter, PaddedLength) {
  EXPECT_EQ(padded_length(2), 64);
  EXPECT_EQ(padded_length(32), 64);
  EXPECT_EQ(padded_length(33), 128);
  EXPECT_EQ(padded_length(2048), 4096);
  EXPECT_EQ(padded_length(2049), 8192);
}

// ---- parameters -----------------------------------------------------------

struct Params {
  std::vector<h5io_param_t> list;
  h5io_global_params_t global{};
  Params(std::initializer_list<std::pair<const char*, const char*>> kv) {
    for (const auto& [k, v] : kv) {
      h5io_param_t p{k, H5IO_PARAM_STRING, v, 0, 0.0};
      char* end = nullptr;
      const double number = std::strtod(v, &end);
      if (*v && *end == '\0') {
        const bool whole = number == std::floor(number);
        p.type = whole ? H5IO_PARAM_INT : H5IO_PARAM_FLOAT;
        p.int_value = static_cast<int64_t>(number);
        p.float_value = number;
      } else if (std::strcmp(v, "true") == 0 || std::strcmp(v, "false") == 0) {
        p.type = H5IO_PARAM_BOOL;
        p.int_value = v[0] == 't';
      }
      list.push_back(p);
    }
    global.abi_version = H5IO_ABI_VERSION;
    global.local_ranks = 1;
    global.num_params = static_cast<int32_t>(list.size());
    global.params = list.data();
  }
};

std::string error_of(std::initializer_list<std::pair<const char*, const char*>> kv) {
  Params p(kv);
  try {
    parse_options(p.global);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TomoFbpOptions, DefaultsAndValues) {
  const Options d = parse_options(Params{}.global);
  EXPECT_EQ(d.method, Method::automatic);
  EXPECT_EQ(d.device, Device::automatic);
  EXPECT_EQ(d.filter, FilterKind::ramp);
  EXPECT_FALSE(d.center);
  EXPECT_EQ(d.center_search, 50);
  EXPECT_EQ(d.padding, Padding::edge);
  EXPECT_FALSE(d.mask);
  EXPECT_EQ(d.rings, Rings::none);
  EXPECT_EQ(d.ring_size, 21);
  EXPECT_TRUE(d.normalise);
  EXPECT_EQ(d.threads, 0);
  EXPECT_EQ(d.output, "/entry/reconstruction/data");
  EXPECT_EQ(center_location(d.output), "/entry/reconstruction/center");

  const Options o = parse_options(Params{
      {"filter", "ram-lak"},
      {"center", "1023.5"},
      {"padding", "zero"},
      {"mask", "true"},
      {"mask_ratio", "0.9"},
      {"rings", "sort"},
      {"ring_size", "11"},
      {"normalise", "false"},
      {"threads", "3"},
      {"output", "/recon/vol"}}.global);
  EXPECT_EQ(o.filter, FilterKind::ramp);
  EXPECT_DOUBLE_EQ(*o.center, 1023.5);
  EXPECT_EQ(o.padding, Padding::zero);
  EXPECT_TRUE(o.mask);
  EXPECT_DOUBLE_EQ(o.mask_ratio, 0.9);
  EXPECT_EQ(o.ring_size, 11);
  EXPECT_FALSE(o.normalise);
  EXPECT_EQ(o.threads, 3);
  EXPECT_EQ(center_location(o.output), "/recon/center");
  EXPECT_EQ(parse_options(Params{{"center", "1024"}}.global).center, 1024.0);
  // method=fourier has no GPU path: device=auto takes the CPU for it.
  const Options f = parse_options(Params{{"method", "Fourier"}}.global);
  EXPECT_EQ(f.method, Method::fourier);
  EXPECT_EQ(f.device, Device::cpu);
  EXPECT_EQ(parse_options(Params{{"method", "fbp"}}.global).method, Method::fbp);
  EXPECT_EQ(parse_options(Params{{"method", "AUTO"}}.global).method, Method::automatic);
  EXPECT_EQ(parse_options(Params{{"method", "auto"}, {"device", "gpu"}}.global).device,
            Device::gpu);
  EXPECT_EQ(parse_options(Params{{"center", "auto"}, {"center_search", "20"}}.global).center_search,
            20.0);
}

TEST(TomoFbpOptions, RejectsWithUsefulMessages) {
  EXPECT_NE(error_of({{"filtre", "ramp"}}).find("filter, center, center_search"),
            std::string::npos);
  EXPECT_NE(error_of({{"normalize", "false"}}).find("did you mean normalise"), std::string::npos);
  const std::string bad_filter = error_of({{"filter", "gauss"}});
  EXPECT_NE(bad_filter.find("gauss"), std::string::npos);
  EXPECT_NE(bad_filter.find("shepp-logan, cosine, hamming, hann, parzen"), std::string::npos);
  EXPECT_NE(error_of({{"center", "middle"}}).find("'auto'"), std::string::npos);
  EXPECT_NE(error_of({{"center", "100"}, {"center_search", "5"}}).find("center=auto"),
            std::string::npos);
  EXPECT_NE(error_of({{"padding", "mirror"}}).find("edge"), std::string::npos);
  EXPECT_NE(error_of({{"mask_ratio", "0.5"}}).find("mask=true"), std::string::npos);
  EXPECT_NE(error_of({{"mask", "true"}, {"mask_ratio", "0"}}).find("> 0"), std::string::npos);
  EXPECT_NE(error_of({{"rings", "sort"}, {"ring_size", "4"}}).find("odd"), std::string::npos);
  EXPECT_NE(error_of({{"ring_size", "5"}}).find("rings=sort"), std::string::npos);
  EXPECT_NE(error_of({{"threads", "-1"}}).find("threads"), std::string::npos);
  EXPECT_NE(error_of({{"mask", "maybe"}}).find("true or false"), std::string::npos);
  EXPECT_NE(error_of({{"output", "relative/path"}}).find("absolute"), std::string::npos);
  EXPECT_NE(error_of({{"output", "/entry/center"}}).find("collide"), std::string::npos);
  const std::string bad_method = error_of({{"method", "gridrec"}});
  EXPECT_NE(bad_method.find("method='gridrec'"), std::string::npos) << bad_method;
  EXPECT_NE(bad_method.find("'fbp'"), std::string::npos);
  EXPECT_NE(bad_method.find("'fourier'"), std::string::npos);
  EXPECT_NE(bad_method.find("'auto'"), std::string::npos);
  EXPECT_NE(error_of({{"method", "fourier"}, {"device", "gpu"}}).find("CPU only"),
            std::string::npos);
}

// method=auto: fbp for small scans, fourier for large ones on the CPU
// (the rule measured for README.md's table), fbp on a GPU; a method asked
// for by name is kept.
TEST(TomoFbpOptions, AutoMethodResolvesBySizeAndDevice) {
  const Options a = parse_options(Params{}.global);
  EXPECT_EQ(resolve_method(a, 256, 360, false), Method::fbp);
  EXPECT_EQ(resolve_method(a, 512, 512, false), Method::fbp);
  EXPECT_EQ(resolve_method(a, 1024, 512, false), Method::fbp); // few angles: FBP is cheaper
  EXPECT_EQ(resolve_method(a, 1024, 1024, false), Method::fourier);
  EXPECT_EQ(resolve_method(a, 2048, 1024, false), Method::fourier);
  EXPECT_EQ(resolve_method(a, 4096, 4096, false), Method::fourier);
  EXPECT_EQ(resolve_method(a, 4096, 4096, true), Method::fbp); // fourier is CPU-only
  EXPECT_EQ(resolve_method(a, 0, 0, false), Method::fbp);
  const Options fbp = parse_options(Params{{"method", "fbp"}}.global);
  EXPECT_EQ(resolve_method(fbp, 4096, 4096, false), Method::fbp);
  const Options fourier = parse_options(Params{{"method", "fourier"}}.global);
  EXPECT_EQ(resolve_method(fourier, 64, 60, false), Method::fourier);
  EXPECT_EQ(method_name(Method::automatic), "auto");
}

// ---- weights ----------------------------------------------------------------

TEST(TomoFbpWeights, UniformHalfAndFullTurn) {
  for (const double span : {pi, 2 * pi}) {
    const std::vector<double> f = backprojection_factors(uniform_angles(90, span));
    for (const double v : f) EXPECT_NEAR(v, pi / (2.0 * 90.0), 1e-12) << span;
  }
  // Order does not matter, only the angles' neighbours.
  const std::vector<double> f = backprojection_factors(std::vector<double>{0.3, 0.0, 0.1, 1.0});
  const double total_width = 1.0 + 0.5 * (1.0 / 3.0) * 2; // span + half mean gap at each end
  EXPECT_NEAR(f[1], pi / total_width * 0.5 * (0.05 + 0.5 / 3.0), 1e-12);
  EXPECT_NEAR(f[2], pi / total_width * 0.5 * 0.15, 1e-12);
  EXPECT_NEAR(f[0], pi / total_width * 0.5 * 0.45, 1e-12);
  EXPECT_NEAR(f[3], pi / total_width * 0.5 * (0.35 + 0.5 / 3.0), 1e-12);
}

// ---- back-projection ----------------------------------------------------------

TEST(TomoFbpBackprojection, FastKernelEqualsNaiveLoop) {
  const int64_t p = 37, cols = 101; // odd sizes: partial tiles, h = floor(N/2)
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  SinogramBlock block(p, cols);
  std::vector<std::vector<float>> single(kLanes, std::vector<float>(static_cast<size_t>(p * cols)));
  for (int64_t a = 0; a < p; ++a)
    for (int64_t u = 0; u < cols; ++u)
      for (int l = 0; l < kLanes; ++l) {
        const float v = value(rng);
        block.row(a)[u * kLanes + l] = v;
        single[static_cast<size_t>(l)][static_cast<size_t>(a * cols + u)] = v;
      }
  std::vector<double> angles(static_cast<size_t>(p));
  for (auto& a : angles) a = std::uniform_real_distribution<double>(0.0, 2 * pi)(rng);
  h5io::numerics::ThreadPool pool(2);
  std::vector<KernelChoice> kernels{KernelChoice::portable};
  if (avx2_fma_available()) kernels.push_back(KernelChoice::avx2);
  for (const double c : {50.0, 53.37, 12.5}) { // 12.5: many pixels project off the detector
    const BackprojectionGeometry geometry(cols, c, angles);
    for (const KernelChoice kernel : kernels) {
      std::vector<float> images(static_cast<size_t>(kLanes * cols * cols), -1.0f);
      ImageSet out;
      for (int l = 0; l < kLanes; ++l)
        out.images[static_cast<size_t>(l)] = images.data() + l * cols * cols;
      backproject(block, geometry, out, pool, kernel);
      for (int l = 0; l < kLanes; ++l) {
        std::vector<float> reference(static_cast<size_t>(cols * cols));
        backproject_naive(single[static_cast<size_t>(l)].data(), p, cols, geometry,
                          reference.data());
        double worst = 0, largest = 0;
        for (size_t i = 0; i < reference.size(); ++i) {
          worst = std::max(worst, std::fabs(double(images[l * cols * cols + i]) - reference[i]));
          largest = std::max(largest, std::fabs(double(reference[i])));
        }
        EXPECT_LT(worst, 1e-5 * largest) << "centre " << c << " lane " << l;
      }
    }
  }
}

TEST(TomoFbpBackprojection, ReconstructsAnalyticPhantom) {
  const int64_t n = 128, p = 256;
  const std::vector<Ellipse> phantom{{0.02, 45, 38, 4, -6, 0.3}, {0.01, 12, 8, -15, 10, -0.5}};
  for (const double c : {64.0, 67.25}) {
    const std::vector<double> angles = uniform_angles(p);
    const std::vector<float> s = sinogram(phantom, angles, n, c);
    h5io::numerics::ThreadPool pool(2);
    for (const FilterKind f : {FilterKind::ramp, FilterKind::shepp_logan}) {
      Options o = fixed_center(c);
      o.filter = f;
      Reconstructor recon(o, {p, n, 0, 0}, angles, pool);
      std::vector<float> image(static_cast<size_t>(n * n));
      double centre = 0;
      recon.run_sinograms(s.data(), 1, image.data(), &centre);
      EXPECT_EQ(centre, c);
      const ErrorStats st = compare_to_truth(phantom, image.data(), n, 60);
      EXPECT_GT(st.pixels, 5000);
      // Measured: |mean| ~1e-6, rms ~2.7e-4 (1.3 % of the density).
      EXPECT_LT(std::fabs(st.mean), 0.005 * 0.02) << "centre " << c << " " << filter_name(f);
      EXPECT_LT(st.rms, 0.025 * 0.02) << "centre " << c << " " << filter_name(f);
    }
  }
}

// The geometry conventions, to a fraction of a pixel: a small disc at
// (X, Y) = (10, -7) must come out centred on pixel (ix, iy) = (h + 10, h + 7),
// whether the axis is at the nominal column, elsewhere, or found.
TEST(TomoFbpBackprojection, GeometryConventions) {
  const int64_t n = 96, p = 240, h = n / 2;
  const std::vector<Ellipse> blob{{0.05, 3.5, 3.5, 10, -7, 0}, {0.002, 40, 40, 0, 0, 0}};
  const std::vector<double> angles = uniform_angles(p);
  h5io::numerics::ThreadPool pool(2);
  for (const double c : {48.0, 51.25, 44.5}) {
    const std::vector<float> s = sinogram(blob, angles, n, c);
    for (const bool automatic : {false, true}) {
      Options o = fixed_center(c);
      if (automatic) o.center.reset();
      Reconstructor recon(o, {p, n, 0, 0}, angles, pool);
      std::vector<float> image(static_cast<size_t>(n * n));
      double centre = 0;
      recon.run_sinograms(s.data(), 1, image.data(), &centre);
      double sum = 0, sx = 0, sy = 0;
      for (int64_t iy = h + 7 - 6; iy <= h + 7 + 6; ++iy)
        for (int64_t ix = h + 10 - 6; ix <= h + 10 + 6; ++ix) {
          const double v = image[static_cast<size_t>(iy * n + ix)] - 0.002; // above the background
          sum += v;
          sx += v * static_cast<double>(ix);
          sy += v * static_cast<double>(iy);
        }
      EXPECT_NEAR(sx / sum, static_cast<double>(h + 10), 0.1)
          << "centre " << c << " auto " << automatic;
      EXPECT_NEAR(sy / sum, static_cast<double>(h + 7), 0.1)
          << "centre " << c << " auto " << automatic;
      EXPECT_NEAR(centre, c, automatic ? 0.25 : 0.0);
    }
  }
}

TEST(TomoFbpBackprojection, FullTurnAndNonUniformAngles) {
  const int64_t n = 96, p = 180;
  const std::vector<Ellipse> phantom{{0.03, 35, 30, 3, 2, 0.2}, {-0.01, 10, 6, -8, -5, 1.0}};
  h5io::numerics::ThreadPool pool(2);
  auto reconstruct = [&](const std::vector<double>& angles) {
    Reconstructor recon(fixed_center(48), {static_cast<int64_t>(angles.size()), n, 0, 0}, angles,
                        pool);
    const std::vector<float> s = sinogram(phantom, angles, n, 48);
    std::vector<float> image(static_cast<size_t>(n * n));
    double centre = 0;
    recon.run_sinograms(s.data(), 1, image.data(), &centre);
    return image;
  };
  const std::vector<float> uniform = reconstruct(uniform_angles(p));
  // Random angles over the half turn, in random order.
  std::mt19937 rng(3);
  std::vector<double> random(static_cast<size_t>(p));
  for (size_t i = 0; i < random.size(); ++i)
    random[i] =
        (static_cast<double>(i) + std::uniform_real_distribution<double>(-0.45, 0.45)(rng)) * pi /
        p;
  std::shuffle(random.begin(), random.end(), rng);
  const std::vector<float> irregular = reconstruct(random);
  const std::vector<float> full_turn = reconstruct(uniform_angles(2 * p, 2 * pi));
  for (const auto* image : {&uniform, &irregular, &full_turn}) {
    const ErrorStats st = compare_to_truth(phantom, image->data(), n, 44);
    EXPECT_LT(std::fabs(st.mean), 0.005 * 0.03); // measured ~1e-6
    EXPECT_LT(st.rms, 0.025 * 0.03);             // measured 4.2e-4
  }
  double diff = 0;
  for (size_t i = 0; i < uniform.size(); ++i) diff += std::pow(irregular[i] - uniform[i], 2);
  EXPECT_LT(std::sqrt(diff / static_cast<double>(uniform.size())), 0.015 * 0.03); // 1.8e-4
}

TEST(TomoFbpBackprojection, MaskZeroesOutsideCircle) {
  const int64_t n = 64, p = 60;
  const std::vector<double> angles = uniform_angles(p);
  const std::vector<float> s = sinogram({{0.02, 20, 20, 0, 0, 0}}, angles, n, 32);
  h5io::numerics::ThreadPool pool(1);
  Options o = fixed_center(32);
  o.mask = true;
  o.mask_ratio = 0.5;
  Reconstructor recon(o, {p, n, 0, 0}, angles, pool);
  std::vector<float> image(static_cast<size_t>(n * n), 5.0f);
  double centre = 0;
  recon.run_sinograms(s.data(), 1, image.data(), &centre);
  for (int64_t iy = 0; iy < n; ++iy)
    for (int64_t ix = 0; ix < n; ++ix) {
      const double r = std::hypot(double(ix - 32), double(iy - 32));
      if (r > 16.0) {
        EXPECT_EQ(image[iy * n + ix], 0.0f);
      } else if (r < 10.0) {
        EXPECT_NEAR(image[iy * n + ix], 0.02, 0.002);
      }
    }
}

// ---- batches ------------------------------------------------------------------

// Raw uint16 scans of `slices` different phantoms (axis offset varying per
// slice), as the host delivers them: [slices][P][cols] and so on.
struct RawScan {
  int64_t slices, p, cols, darks, flats;
  std::vector<uint16_t> proj, dark, flat;
};
RawScan raw_scan(int64_t slices, int64_t p, int64_t cols, int64_t darks, int64_t flats,
                 const std::vector<double>& angles) {
  RawScan r{slices, p, cols, darks, flats, {}, {}, {}};
  const double dark_level = 100, flat_level = 20000;
  for (int64_t s = 0; s < slices; ++s) {
    const double c = static_cast<double>(cols / 2) + 0.7 * static_cast<double>(s) - 3.0;
    const std::vector<Ellipse> ph{{0.002 * static_cast<double>(1 + s % 4), 0.3 * double(cols),
                                   0.25 * double(cols), double(s % 3), -1.0, 0.1 * double(s)},
                                  {0.004, 4.0 + double(s), 5.0, -6.0, 4.0, 0.0}};
    const std::vector<float> sino = sinogram(ph, angles, cols, c);
    for (const float v : sino)
      r.proj.push_back(static_cast<uint16_t>(std::lround(dark_level + flat_level * std::exp(-v))));
    for (int64_t i = 0; i < darks * cols; ++i) r.dark.push_back(static_cast<uint16_t>(dark_level));
    for (int64_t i = 0; i < flats * cols; ++i) r.flat.push_back(static_cast<uint16_t>(flat_level));
  }
  return r;
}

void run_range(Reconstructor& recon, const RawScan& r, int64_t first, int64_t count, float* images,
               double* centres) {
  const size_t pb = static_cast<size_t>(r.p * r.cols) * 2,
               db = static_cast<size_t>(r.darks * r.cols) * 2,
               fb = static_cast<size_t>(r.flats * r.cols) * 2;
  recon.run({r.proj.data() + first * r.p * r.cols, H5IO_UINT16, pb},
            {r.darks ? r.dark.data() + first * r.darks * r.cols : nullptr, H5IO_UINT16, db},
            {r.flat.data() + first * r.flats * r.cols, H5IO_UINT16, fb}, count,
            images + first * r.cols * r.cols, centres + first, first);
}

TEST(TomoFbpBatches, ResultsIndependentOfBatchAndThreads) {
  const int64_t slices = 11, p = 90, cols = 64;
  const std::vector<double> angles = uniform_angles(p);
  const RawScan scan = raw_scan(slices, p, cols, 2, 3, angles);
  // Per-slice search, a given centre, and a fitted tilted axis (each slice
  // shifted onto the kernel's centre by its own amount).
  for (const CenterMode mode : {CenterMode::per_slice, CenterMode::given, CenterMode::scan}) {
    const int automatic = static_cast<int>(mode);
    Options o;
    o.center_mode = mode;
    if (mode == CenterMode::given) o.center = 31.5;
    if (mode == CenterMode::scan) o.axis = AxisLine{29.0, 0.7, 29.0 + 0.7 * 5.0};
    o.rings = Rings::sort;
    o.ring_size = 5;
    const size_t image_floats = static_cast<size_t>(slices * cols * cols);
    std::vector<float> reference(image_floats);
    std::vector<double> reference_centres(slices);
    {
      h5io::numerics::ThreadPool pool(2);
      Reconstructor recon(o, {p, cols, 2, 3}, angles, pool);
      run_range(recon, scan, 0, slices, reference.data(), reference_centres.data());
    }
    for (const int threads : {1, 3})
      for (const int64_t batch : {1, 3, 8, 11}) {
        h5io::numerics::ThreadPool pool(threads);
        Reconstructor recon(o, {p, cols, 2, 3}, angles, pool);
        std::vector<float> images(image_floats);
        std::vector<double> centres(slices);
        for (int64_t first = 0; first < slices; first += batch)
          run_range(recon, scan, first, std::min(batch, slices - first), images.data(),
                    centres.data());
        EXPECT_EQ(std::memcmp(images.data(), reference.data(), image_floats * sizeof(float)), 0)
            << "batch " << batch << " threads " << threads << " auto " << automatic;
        EXPECT_EQ(centres, reference_centres);
      }
    if (mode == CenterMode::scan) {
      for (int64_t k = 0; k < slices; ++k) { // exactly the line
        EXPECT_EQ(reference_centres[static_cast<size_t>(k)], 29.0 + 0.7 * static_cast<double>(k));
      }
    }
  }
}

TEST(TomoFbpBatches, ConstantFittedAxisIsTheGivenCentreExactly) {
  const int64_t slices = 3, p = 60, cols = 48;
  const std::vector<double> angles = uniform_angles(p);
  const RawScan scan = raw_scan(slices, p, cols, 1, 2, angles);
  const size_t floats = static_cast<size_t>(slices * cols * cols);
  std::vector<float> given(floats), fitted(floats);
  std::vector<double> cg(slices), cf(slices);
  h5io::numerics::ThreadPool pool(2);
  Options o;
  o.center = 23.37;
  Reconstructor a(o, {p, cols, 1, 2}, angles, pool);
  run_range(a, scan, 0, slices, given.data(), cg.data());
  o.center.reset();
  o.axis = AxisLine{23.37, 0.0, 23.37};
  Reconstructor b(o, {p, cols, 1, 2}, angles, pool);
  run_range(b, scan, 0, slices, fitted.data(), cf.data());
  EXPECT_EQ(given, fitted);
  EXPECT_EQ(cg, cf);
}

// ---- centre -------------------------------------------------------------------

TEST(TomoFbpCenter, FindsKnownOffsets) {
  const int64_t cols = 256;
  const std::vector<Ellipse> phantom = shepp_logan(110, 0.02);
  struct Case {
    double offset;
    int64_t p;
    double span;
  };
  for (const Case& k : {Case{4.3, 360, pi}, Case{-6.7, 360, pi}, Case{0.0, 200, pi},
                        Case{-6.7, 400, 2 * pi}, Case{23.6, 300, pi}}) {
    const std::vector<double> angles = uniform_angles(k.p, k.span);
    const double truth = static_cast<double>(cols / 2) + k.offset;
    const std::vector<float> s = sinogram(phantom, angles, cols, truth);
    const CenterFinder finder(cols, angles, 50);
    EXPECT_NEAR(finder.find(s.data()), truth, 0.5) << "offset " << k.offset << " span " << k.span;
  }
}

TEST(TomoFbpCenter, AutoCentreReconstructsAsWellAsTheTrueOne) {
  const int64_t n = 128, p = 180;
  const std::vector<Ellipse> phantom = shepp_logan(55, 0.02);
  const std::vector<double> angles = uniform_angles(p);
  const double truth = 64 - 5.4;
  const std::vector<float> s = sinogram(phantom, angles, n, truth);
  h5io::numerics::ThreadPool pool(2);
  Options automatic;
  automatic.normalise = false;
  Reconstructor a(automatic, {p, n, 0, 0}, angles, pool),
      f(fixed_center(truth), {p, n, 0, 0}, angles, pool);
  std::vector<float> ia(static_cast<size_t>(n * n)), ifx(static_cast<size_t>(n * n));
  double ca = 0, cf = 0;
  a.run_sinograms(s.data(), 1, ia.data(), &ca);
  f.run_sinograms(s.data(), 1, ifx.data(), &cf);
  EXPECT_NEAR(ca, truth, 0.5);
  const ErrorStats sa = compare_to_truth(phantom, ia.data(), n, 50);
  const ErrorStats sf = compare_to_truth(phantom, ifx.data(), n, 50);
  EXPECT_LT(sa.rms, 1.3 * sf.rms + 1e-4);
}

TEST(TomoFbpCenter, BlankSinogramGivesNominalCentre) {
  const std::vector<double> angles = uniform_angles(100);
  const std::vector<float> zeros(100 * 128, 0.0f);
  EXPECT_EQ(CenterFinder(128, angles, 50).find(zeros.data()), 64.0);
  EXPECT_EQ(CenterFinder(128, angles, 10).lowest(), 54.0);
  EXPECT_EQ(CenterFinder(128, angles, 10).highest(), 74.0);
  // Never further than cols/4 - 1 from the mirror centre (cols-1)/2: the
  // circular shifts would alias.
  EXPECT_EQ(CenterFinder(128, angles, 100).lowest(), 63.5 - 31.0);
  EXPECT_EQ(CenterFinder(128, angles, 100).highest(), 63.5 + 31.0);
}

// ---- normalisation ---------------------------------------------------------------

TEST(TomoFbpNormalise, DegenerateFlatsGiveFiniteResults) {
  const int64_t p = 30, cols = 32;
  const std::vector<double> angles = uniform_angles(p);
  RawScan r = raw_scan(2, p, cols, 2, 2, angles);
  std::fill(r.flat.begin(), r.flat.end(), 100); // flats equal to darks: no usable flat field
  r.proj[5] = 0;                                // below the dark level
  r.proj[6] = 65535;
  h5io::numerics::ThreadPool pool(1);
  Options o;
  o.center = 16;
  Reconstructor recon(o, {p, cols, 2, 2}, angles, pool);
  std::vector<float> images(static_cast<size_t>(2 * cols * cols));
  std::vector<double> centres(2);
  run_range(recon, r, 0, 2, images.data(), centres.data());
  for (const float v : images) ASSERT_TRUE(std::isfinite(v));
  // With flats = darks every transmission counts as 1: nothing to see.
  for (const float v : images) EXPECT_EQ(v, 0.0f);

  // Partly dead flat field, zero counts, saturation: still finite.
  RawScan z = raw_scan(1, p, cols, 1, 1, angles);
  z.flat[3] = 0;
  for (int64_t i = 0; i < p * cols; i += 7) z.proj[static_cast<size_t>(i)] = 0;
  Reconstructor recon1(o, {p, cols, 1, 1}, angles, pool);
  run_range(recon1, z, 0, 1, images.data(), centres.data());
  for (int64_t i = 0; i < cols * cols; ++i)
    ASSERT_TRUE(std::isfinite(images[static_cast<size_t>(i)]));
}

TEST(TomoFbpNormalise, NoDarksMeansDarkLevelZero) {
  const int64_t p = 40, cols = 48;
  const std::vector<double> angles = uniform_angles(p);
  RawScan with = raw_scan(1, p, cols, 2, 2, angles);
  std::fill(with.dark.begin(), with.dark.end(), 0);
  RawScan without = with;
  without.darks = 0;
  without.dark.clear();
  h5io::numerics::ThreadPool pool(2);
  Options o;
  o.center = 24;
  Reconstructor a(o, {p, cols, 2, 2}, angles, pool), b(o, {p, cols, 0, 2}, angles, pool);
  std::vector<float> ia(static_cast<size_t>(cols * cols)), ib(ia.size());
  double ca = 0, cb = 0;
  run_range(a, with, 0, 1, ia.data(), &ca);
  run_range(b, without, 0, 1, ib.data(), &cb);
  EXPECT_EQ(ia, ib);
}

TEST(TomoFbpNormalise, NoFlatsIsAnErrorUnlessNormalisationIsOff) {
  const std::vector<double> angles = uniform_angles(10);
  h5io::numerics::ThreadPool pool(1);
  try {
    Reconstructor r(Options{}, {10, 16, 1, 0}, angles, pool);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("normalise=false"), std::string::npos);
  }
  Options off;
  off.normalise = false;
  EXPECT_NO_THROW(Reconstructor(off, {10, 16, 0, 0}, angles, pool));
  EXPECT_THROW(Reconstructor(off, {11, 16, 0, 0}, angles, pool), Error); // 10 angles, 11 frames
}

// ---- rings ------------------------------------------------------------------------

TEST(TomoFbpRings, SortingRemovesAStripe) {
  const int64_t p = 180, cols = 128, stripe = 70;
  const std::vector<double> angles = uniform_angles(p);
  const std::vector<float> clean = sinogram(shepp_logan(50, 0.02), angles, cols, 64);
  std::vector<float> striped = clean;
  const float amplitude = 0.05f;
  for (int64_t a = 0; a < p; ++a) striped[static_cast<size_t>(a * cols + stripe)] += amplitude;
  auto stripe_strength = [&](const std::vector<float>& s) {
    double sum = 0;
    for (int64_t a = 0; a < p; ++a)
      sum +=
          s[static_cast<size_t>(a * cols + stripe)] - clean[static_cast<size_t>(a * cols + stripe)];
    return sum / static_cast<double>(p);
  };
  EXPECT_NEAR(stripe_strength(striped), amplitude, 1e-6);
  remove_stripes_by_sorting(striped.data(), p, cols, 11);
  EXPECT_LT(std::fabs(stripe_strength(striped)), 0.1 * amplitude);
  // Elsewhere the sinogram changes little: the median rounds off the sharp
  // edges of the sorted columns. (The same algorithm in numpy/scipy, as
  // tomopy writes it, gives a relative change of 0.0295 and a residual
  // stripe of 0.0042 here, as this code does.)
  double change = 0, signal = 0;
  for (size_t i = 0; i < clean.size(); ++i)
    if (static_cast<int64_t>(i) % cols != stripe) {
      change += std::pow(striped[i] - clean[i], 2);
      signal += std::pow(clean[i], 2);
    }
  EXPECT_LT(std::sqrt(change / signal), 0.035);
}

// ---- the library through its ABI --------------------------------------------------

// method=auto through the ABI: the output's attributes say what runs for the
// scan's size (the host copies them into /entry/process/outputs) and what
// was asked for.
TEST(TomoFbpLibrary, AutoMethodIsResolvedAndRecorded) {
  Module m;
  ASSERT_NE(m.handle, nullptr) << dlerror();
  const auto [init, input, slice, output, describe, batch, complete, error] = m.abi();
  const auto method_attributes = [&](Params params, int64_t p, int64_t cols) {
    void* ctx = nullptr;
    int ni = 0, no = 0;
    EXPECT_EQ(init(&ctx, &params.global, &ni, &no), 0);
    const h5io_dataspace_t spaces[5] = {
        dataspace(3, {p, 4, cols}, H5IO_UINT16), dataspace(3, {0, 4, cols}, H5IO_UINT16),
        dataspace(3, {2, 4, cols}, H5IO_UINT16), dataspace(1, {p}, H5IO_FLOAT64),
        dataspace(1, {0}, H5IO_FLOAT64)};
    for (int i = 0; i < 5; ++i) {
      int map[3] = {};
      EXPECT_EQ(slice(ctx, i, &spaces[i], map), 0) << error(ctx, 1);
    }
    int count = 0;
    const h5io_param_t* attributes = nullptr;
    EXPECT_EQ(describe(ctx, 0, &count, &attributes), 0);
    std::string found;
    for (int i = 0; i < count; ++i) {
      const std::string key = attributes[i].key;
      if (key == "method" || key == "method_requested")
        found += key + "=" + attributes[i].text + ";";
    }
    complete(ctx);
    return found;
  };
  const Params cpu{{"device", "cpu"}};
  EXPECT_EQ(method_attributes(cpu, 360, 256), "method=fbp;method_requested=auto;");
  EXPECT_EQ(method_attributes(cpu, 2048, 2048), "method=fourier;method_requested=auto;");
  EXPECT_EQ(method_attributes(Params{{"device", "cpu"}, {"method", "fbp"}}, 2048, 2048),
            "method=fbp;method_requested=fbp;");
  EXPECT_EQ(method_attributes(Params{{"method", "fourier"}}, 360, 256),
            "method=fourier;method_requested=fourier;");
}

TEST(TomoFbpLibrary, RunsThroughTheAbi) {
  Module m;
  ASSERT_NE(m.handle, nullptr) << dlerror();
  const auto [init, input, slice, output, describe, batch, complete, error] = m.abi();
  ASSERT_TRUE(init && input && slice && output && describe && batch && complete && error);

  { // a misspelt parameter
    Params params{{"centre", "5"}};
    void* ctx = nullptr;
    int ni = 0, no = 0;
    const int code = init(&ctx, &params.global, &ni, &no);
    EXPECT_NE(code, 0);
    EXPECT_NE(std::string(error(ctx, code)).find("did you mean center"), std::string::npos);
    complete(ctx);
    Params method{{"method", "gridrec"}};
    const int code2 = init(&ctx, &method.global, &ni, &no);
    EXPECT_EQ(code2, 1); // bad parameter
    EXPECT_NE(std::string(error(ctx, code2)).find("must be 'auto'"), std::string::npos);
    complete(ctx);
  }
  const int64_t p = 45, rows = 3, cols = 32;
  { // a centre off the detector, and a scan without flats
    Params params{{"center", "40"}};
    void* ctx = nullptr;
    int ni = 0, no = 0;
    ASSERT_EQ(init(&ctx, &params.global, &ni, &no), 0);
    int map[3] = {};
    const h5io_dataspace_t proj = dataspace(3, {p, rows, cols}, H5IO_UINT16);
    const int code = slice(ctx, 0, &proj, map);
    EXPECT_NE(std::string(error(ctx, code)).find("centre 40 is outside the detector (0 .. 31)"),
              std::string::npos);
    complete(ctx);
    Params none{};
    ASSERT_EQ(init(&ctx, &none.global, &ni, &no), 0);
    const h5io_dataspace_t flats = dataspace(3, {0, rows, cols}, H5IO_UINT16);
    const int code2 = slice(ctx, 2, &flats, map);
    EXPECT_NE(std::string(error(ctx, code2)).find("no flat-field frames"), std::string::npos);
    complete(ctx);
  }

  Params params{{"filter", "hann"}, {"threads", "2"}};
  void* ctx = nullptr;
  int ni = 0, no = 0;
  ASSERT_EQ(init(&ctx, &params.global, &ni, &no), 0);
  ASSERT_EQ(ni, 5);
  ASSERT_EQ(no, 2);
  const char* location = nullptr;
  const char* expected_roles[] = {"scan:projections", "scan:darks", "scan:flats", "scan:angles",
                                  "scan:pixel_size"};
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(input(ctx, i, &location), 0);
    EXPECT_STREQ(location, expected_roles[i]);
  }
  const h5io_dataspace_t spaces[5] = {
      dataspace(3, {p, rows, cols}, H5IO_UINT16), dataspace(3, {0, rows, cols}, H5IO_UINT16),
      dataspace(3, {2, rows, cols}, H5IO_UINT16), dataspace(1, {p}, H5IO_FLOAT64),
      dataspace(1, {2}, H5IO_FLOAT64)};
  const int expected_maps[5][3] = {{0, 1, 0}, {0, 1, 0}, {0, 1, 0}, {0, 0, 0}, {0, 0, 0}};
  for (int i = 0; i < 5; ++i) {
    int map[3] = {};
    ASSERT_EQ(slice(ctx, i, &spaces[i], map), 0) << error(ctx, 1);
    for (int d = 0; d < spaces[i].rank; ++d) EXPECT_EQ(map[d], expected_maps[i][d]);
  }
  h5io_dataspace_t out{};
  ASSERT_EQ(output(ctx, 0, &location, &out), 0);
  EXPECT_STREQ(location, "/entry/reconstruction/data");
  EXPECT_EQ(out.rank, 3);
  EXPECT_EQ(out.shape[0], -1);
  EXPECT_EQ(out.shape[1], cols);
  EXPECT_EQ(out.dtype, H5IO_FLOAT32);
  ASSERT_EQ(output(ctx, 1, &location, &out), 0);
  EXPECT_STREQ(location, "/entry/reconstruction/center");
  EXPECT_EQ(out.rank, 1);
  EXPECT_EQ(out.dtype, H5IO_FLOAT64);
  int count = 0;
  const h5io_param_t* attributes = nullptr;
  ASSERT_EQ(describe(ctx, 0, &count, &attributes), 0);
  std::string all;
  for (int i = 0; i < count; ++i)
    all += std::string(attributes[i].key) + "=" + attributes[i].text + ";";
  EXPECT_NE(all.find("units=1/pixel;"), std::string::npos) << all;
  EXPECT_NE(all.find("filter=hann;"), std::string::npos) << all;
  EXPECT_NE(all.find("center=auto;"), std::string::npos) << all;
  // method=auto, the default: 32 columns is FBP's size.
  EXPECT_NE(all.find("method=fbp;method_requested=auto;"), std::string::npos) << all;
  // NeXus axes in pixels until the scan-wide step passes the pixel size on.
  EXPECT_NE(all.find("nexus:axis0:name=z;nexus:axis0:units=pixel;"), std::string::npos) << all;
  EXPECT_NE(all.find("nexus:axis2:name=x;nexus:axis2:units=pixel;nexus:axis2:long_name=x "
                     "(pixel);nexus:axis2:scale=1;nexus:axis2:offset=-16;"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("nexus:definition=NXtomoproc;"), std::string::npos) << all;
  ASSERT_EQ(describe(ctx, 1, &count, &attributes), 0);
  EXPECT_STREQ(attributes[0].key, "units");
  EXPECT_STREQ(attributes[0].text, "pixel");

  const std::vector<double> angles = uniform_angles(p);
  const RawScan scan = raw_scan(rows, p, cols, 0, 2, angles);
  h5io_buffer_t in[5] = {};
  in[0] = {const_cast<uint16_t*>(scan.proj.data()), {}, rows, static_cast<size_t>(p * cols * 2)};
  in[1] = {nullptr, {}, rows, 0};
  in[2] = {const_cast<uint16_t*>(scan.flat.data()), {}, rows, static_cast<size_t>(2 * cols * 2)};
  in[3] = {const_cast<double*>(angles.data()), {}, 1, static_cast<size_t>(p * 8)};
  double pixel[2] = {6.5e-6, 3.25e-6}; // metres: 6.5 um columns, 3.25 um rows
  in[4] = {pixel, {}, 1, sizeof(pixel)};
  std::vector<float> images(static_cast<size_t>(rows * cols * cols));
  std::vector<double> centres(rows);
  h5io_buffer_t outs[2] = {{images.data(), {}, rows, static_cast<size_t>(cols * cols * 4)},
                           {centres.data(), {}, rows, 8}};
  // center=auto: no slice before the scan-wide step.
  EXPECT_NE(batch(ctx, 0, rows, 5, in, 2, outs), 0);
  EXPECT_NE(std::string(error(ctx, 1)).find("scan-wide step"), std::string::npos) << error(ctx, 1);

  const auto setup_slices = m.get<h5io_job_setup_slices_fn>("job_setup_slices");
  const auto setup = m.get<h5io_job_setup_fn>("job_setup");
  const auto apply = m.get<h5io_apply_job_setup_fn>("apply_job_setup");
  ASSERT_TRUE(setup_slices && setup && apply);
  int64_t chosen[H5IO_MAX_SETUP_SLICES] = {};
  int n = 0;
  ASSERT_EQ(setup_slices(ctx, rows, &n, chosen), 0);
  ASSERT_EQ(n, rows); // a scan this short: every row
  int nr = 0;
  const h5io_param_t* found = nullptr;
  ASSERT_EQ(setup(ctx, n, chosen, 5, in, &nr, &found), 0) << error(ctx, 1);
  std::string keys;
  for (int i = 0; i < nr; ++i) keys += std::string(found[i].key) + "=" + found[i].text + ";";
  EXPECT_NE(keys.find("axis_model=line;"), std::string::npos) << keys;
  // 45 angles over [0, 180): no measured opposite pairs; the first and last
  // projections' partners are extrapolated one step.
  EXPECT_NE(keys.find("opposite_pairs=0;"), std::string::npos) << keys;
  EXPECT_NE(keys.find("opposite_interpolated_pairs=2;"), std::string::npos) << keys;
  EXPECT_NE(keys.find("vo_model=line;"), std::string::npos) << keys;
  EXPECT_NE(keys.find("pixel_size_x=6.5e-06;pixel_size_y=3.25e-06;"), std::string::npos) << keys;
  // What the host hands on is a copy: apply must not need the library's own
  // strings.
  std::vector<std::string> texts, names;
  for (int i = 0; i < nr; ++i) {
    names.emplace_back(found[i].key);
    texts.emplace_back(found[i].text);
  }
  std::vector<h5io_param_t> copy(found, found + nr);
  for (int i = 0; i < nr; ++i) {
    copy[static_cast<size_t>(i)].key = names[static_cast<size_t>(i)].c_str();
    copy[static_cast<size_t>(i)].text = texts[static_cast<size_t>(i)].c_str();
  }
  ASSERT_EQ(apply(ctx, nr, copy.data()), 0) << error(ctx, 1);
  ASSERT_EQ(describe(ctx, 1, &count, &attributes), 0);
  all.clear();
  for (int i = 0; i < count; ++i)
    all += std::string(attributes[i].key) + "=" + attributes[i].text + ";";
  EXPECT_NE(all.find("axis_intercept="), std::string::npos) << all;
  EXPECT_NE(all.find("vo_centers="), std::string::npos) << all;
  EXPECT_EQ(all.find("pixel_size_x"), std::string::npos) << all; // the axes say it
  // Now in micrometres: z along the rows (3.25 um), x across the columns.
  EXPECT_NE(all.find("nexus:axis0:name=z;nexus:axis0:units=um;nexus:axis0:long_name=z "
                     "(um);nexus:axis0:scale=3.25;nexus:axis0:offset=0;"),
            std::string::npos)
      << all;
  ASSERT_EQ(describe(ctx, 0, &count, &attributes), 0);
  all.clear();
  for (int i = 0; i < count; ++i)
    all += std::string(attributes[i].key) + "=" + attributes[i].text + ";";
  EXPECT_NE(all.find("nexus:axis1:name=y;nexus:axis1:units=um;nexus:axis1:long_name=y "
                     "(um);nexus:axis1:scale=6.5;nexus:axis1:offset=-104;"),
            std::string::npos)
      << all;

  ASSERT_EQ(batch(ctx, 0, rows, 5, in, 2, outs), 0) << error(ctx, 1);
  for (const float v : images) ASSERT_TRUE(std::isfinite(v));
  for (int64_t s = 0; s < rows; ++s) // raw_scan's axis: cols/2 + 0.7 s - 3
    EXPECT_NEAR(centres[static_cast<size_t>(s)], 16 + 0.7 * static_cast<double>(s) - 3.0, 0.5);
  // Exactly the fitted line.
  double intercept = -1, slope = -1;
  for (const h5io_param_t& r : copy) {
    if (std::string(r.key) == "axis_intercept") intercept = r.float_value;
    if (std::string(r.key) == "axis_slope") slope = r.float_value;
  }
  for (int64_t s = 0; s < rows; ++s)
    EXPECT_EQ(centres[static_cast<size_t>(s)], intercept + slope * static_cast<double>(s));
  EXPECT_EQ(complete(ctx), 0);

  { // apply_job_setup refuses results without the axis
    Params none{};
    ASSERT_EQ(init(&ctx, &none.global, &ni, &no), 0);
    const h5io_param_t junk{"something", H5IO_PARAM_FLOAT, "1", 0, 1.0};
    const int code = apply(ctx, 1, &junk);
    EXPECT_NE(code, 0);
    EXPECT_NE(std::string(error(ctx, code)).find("lack 'axis_intercept'"), std::string::npos);
    complete(ctx);
  }
  { // center=auto-per-slice and a given centre need no scan-wide step
    for (const char* center : {"auto-per-slice", "14.5"}) {
      Params own{{"center", center}};
      ASSERT_EQ(init(&ctx, &own.global, &ni, &no), 0);
      for (int i = 0; i < 5; ++i) {
        int map[3] = {};
        ASSERT_EQ(slice(ctx, i, &spaces[i], map), 0);
      }
      ASSERT_EQ(setup_slices(ctx, rows, &n, chosen), 0);
      EXPECT_EQ(n, 0);
      // The step still runs on the whole inputs alone: it passes the pixel
      // size on, and nothing else.
      h5io_buffer_t whole_only[5] = {in[0], in[1], in[2], in[3], in[4]};
      for (int i = 0; i < 3; ++i) whole_only[i].count = 0;
      ASSERT_EQ(setup(ctx, 0, chosen, 5, whole_only, &nr, &found), 0) << error(ctx, 1);
      ASSERT_EQ(nr, 2);
      EXPECT_STREQ(found[0].key, "pixel_size_x");
      EXPECT_EQ(found[1].float_value, 3.25e-6);
      const std::vector<h5io_param_t> size(found, found + nr);
      ASSERT_EQ(apply(ctx, nr, size.data()), 0) << error(ctx, 1);
      ASSERT_EQ(batch(ctx, 0, rows, 5, in, 2, outs), 0) << error(ctx, 1);
      if (std::string(center) == "14.5")
        for (const double c : centres) EXPECT_EQ(c, 14.5);
      else
        for (int64_t s = 0; s < rows; ++s)
          EXPECT_NEAR(centres[static_cast<size_t>(s)], 13 + 0.7 * static_cast<double>(s), 0.5);
      complete(ctx);
    }
  }
}

} // namespace
