// tomo_fbp's choice of device and its GPU back end, through the library's
// ABI as the host drives it: the `device` parameter, the clear refusal of
// device=gpu where no GPU (or no CUDA) is available, the silent fall-back
// of device=auto to the CPU (recorded in the `device` attribute), and, on
// machines with a GPU, the GPU's reconstructions against the CPU's on the
// same scans (Pearson > 0.999, relative L2 < 1e-3 per slice). Tests that
// need a GPU skip with a message where none is visible. The GPU batch
// sizing is pure arithmetic and is tested everywhere CUDA was built.
#include "error.hpp"
#include "options.hpp"
#include "tomo_test_helpers.hpp"

#if H5IO_TOMO_FBP_CUDA
#include "batch_plan.hpp"
#endif

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace h5io::fbp;
using namespace h5io::fbp::test;
using std::numbers::pi;

namespace {

// ---- parameters ------------------------------------------------------------

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct Params {
  std::vector<std::pair<std::string, std::string>> texts;
  std::vector<h5io_param_t> list;
  h5io_global_params_t global{};
  explicit Params(std::vector<std::pair<std::string, std::string>> kv) : texts(std::move(kv)) {
    for (const auto& [k, v] : texts)
      list.push_back({k.c_str(), H5IO_PARAM_STRING, v.c_str(), 0, 0});
    global.abi_version = H5IO_ABI_VERSION;
    global.local_ranks = 1;
    global.num_params = static_cast<int32_t>(list.size());
    global.params = list.data();
  }
};

TEST(TomoFbpDevice, OptionsParseDevice) {
  EXPECT_EQ(parse_options(Params(KeyValues{}).global).device, Device::automatic);
  EXPECT_EQ(parse_options(Params(KeyValues{{"device", "auto"}}).global).device, Device::automatic);
  EXPECT_EQ(parse_options(Params(KeyValues{{"device", "cpu"}}).global).device, Device::cpu);
  EXPECT_EQ(parse_options(Params(KeyValues{{"device", "GPU"}}).global).device, Device::gpu);
  EXPECT_EQ(device_name(Device::gpu), "gpu");
  try {
    parse_options(Params(KeyValues{{"device", "cuda"}}).global);
    FAIL() << "device=cuda accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("device='cuda' must be 'auto'"), std::string::npos)
        << e.what();
  }
  try {
    parse_options(Params(KeyValues{{"devices", "gpu"}}).global);
    FAIL() << "devices accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("output, device"), std::string::npos) << e.what();
  }
}

// ---- the library through its ABI ---------------------------------------------

// A raw uint16 scan as the host delivers it: [rows][P][cols] projections,
// 2 darks and 3 flats per row, the axis drifting from row to row.
struct Scan {
  int64_t rows = 6, p = 0, cols = 96;
  std::vector<double> angles;
  std::vector<uint16_t> proj, dark, flat;
};

Scan make_scan(std::vector<double> angles) {
  Scan s;
  s.p = static_cast<int64_t>(angles.size());
  s.angles = std::move(angles);
  for (int64_t r = 0; r < s.rows; ++r) {
    const double c = static_cast<double>(s.cols / 2) - 2.3 + 0.9 * static_cast<double>(r);
    const std::vector<Ellipse> ellipses{
        {0.02, 34, 28, 2.0 + static_cast<double>(r % 3), -1, 0.2 * static_cast<double>(r)},
        {0.03, 6, 9, -10, 6, 0.4},
        {-0.01, 5, 5, 8, -9, 0}};
    for (int64_t a = 0; a < s.p; ++a)
      for (int64_t u = 0; u < s.cols; ++u) {
        const double v =
            line_integral(ellipses, s.angles[static_cast<size_t>(a)], static_cast<double>(u), c);
        s.proj.push_back(static_cast<uint16_t>(std::lround(100 + 30000 * std::exp(-v))));
      }
    for (int64_t i = 0; i < 2 * s.cols; ++i) s.dark.push_back(100);
    for (int64_t i = 0; i < 3 * s.cols; ++i) s.flat.push_back(30100);
  }
  return s;
}

struct Result {
  int init_code = 0;
  std::string error;
  std::string device; // the output's `device` attribute
  std::vector<float> images;
  std::vector<double> centres;
};

// Runs the library on `scan` with `kv` as a host would; stops after
// h5io_init when that fails, and after describe_output when `run` is false.
Result run_library(const Scan& scan, std::vector<std::pair<std::string, std::string>> kv,
                   bool run = true) {
  Module m;
  EXPECT_NE(m.handle, nullptr) << dlerror();
  Result result;
  if (!m.handle) return result;
  const auto [init, input, slice, output, describe, batch, complete, error] = m.abi();
  Params params(std::move(kv));
  void* ctx = nullptr;
  int ni = 0, no = 0;
  result.init_code = init(&ctx, &params.global, &ni, &no);
  if (result.init_code != 0) {
    result.error = error(ctx, result.init_code);
    complete(ctx);
    return result;
  }
  const h5io_dataspace_t spaces[5] = {dataspace(3, {scan.p, scan.rows, scan.cols}, H5IO_UINT16),
                                      dataspace(3, {2, scan.rows, scan.cols}, H5IO_UINT16),
                                      dataspace(3, {3, scan.rows, scan.cols}, H5IO_UINT16),
                                      dataspace(1, {scan.p}, H5IO_FLOAT64),
                                      dataspace(1, {0}, H5IO_FLOAT64)};
  for (int i = 0; i < 5; ++i) {
    int map[3] = {};
    EXPECT_EQ(slice(ctx, i, &spaces[i], map), 0) << error(ctx, 1);
  }
  const char* location = nullptr;
  h5io_dataspace_t out{};
  EXPECT_EQ(output(ctx, 0, &location, &out), 0);
  EXPECT_EQ(output(ctx, 1, &location, &out), 0);
  int count = 0;
  const h5io_param_t* attributes = nullptr;
  EXPECT_EQ(describe(ctx, 0, &count, &attributes), 0);
  for (int i = 0; i < count; ++i)
    if (std::string(attributes[i].key) == "device") result.device = attributes[i].text;
  if (run) {
    const int64_t rows = scan.rows, p = scan.p, cols = scan.cols;
    h5io_buffer_t in[5] = {};
    in[0] = {const_cast<uint16_t*>(scan.proj.data()), {}, rows, static_cast<size_t>(p * cols * 2)};
    in[1] = {const_cast<uint16_t*>(scan.dark.data()), {}, rows, static_cast<size_t>(2 * cols * 2)};
    in[2] = {const_cast<uint16_t*>(scan.flat.data()), {}, rows, static_cast<size_t>(3 * cols * 2)};
    in[3] = {const_cast<double*>(scan.angles.data()), {}, 1, static_cast<size_t>(p * 8)};
    in[4] = {nullptr, {}, 1, 0}; // no pixel size
    // The scan-wide step, as the host runs it (center=auto): the chosen rows,
    // then the results, copied, back to the instance.
    const auto setup_slices = m.get<h5io_job_setup_slices_fn>("job_setup_slices");
    const auto setup = m.get<h5io_job_setup_fn>("job_setup");
    const auto apply = m.get<h5io_apply_job_setup_fn>("apply_job_setup");
    EXPECT_TRUE(setup_slices && setup && apply);
    int64_t chosen[H5IO_MAX_SETUP_SLICES] = {};
    int n = 0;
    EXPECT_EQ(setup_slices(ctx, rows, &n, chosen), 0);
    std::vector<uint16_t> proj, dark, flat;
    for (int k = 0; k < n; ++k) {
      const auto take = [&](const std::vector<uint16_t>& from, int64_t per_row,
                            std::vector<uint16_t>& to) {
        to.insert(to.end(), from.begin() + chosen[k] * per_row,
                  from.begin() + (chosen[k] + 1) * per_row);
      };
      take(scan.proj, p * cols, proj);
      take(scan.dark, 2 * cols, dark);
      take(scan.flat, 3 * cols, flat);
    }
    h5io_buffer_t sample[5] = {in[0], in[1], in[2], in[3], in[4]};
    sample[0].data = proj.data();
    sample[1].data = dark.data();
    sample[2].data = flat.data();
    for (int i = 0; i < 3; ++i) sample[i].count = n;
    int nr = 0;
    const h5io_param_t* found = nullptr;
    EXPECT_EQ(setup(ctx, n, chosen, 5, sample, &nr, &found), 0) << error(ctx, 1);
    std::vector<std::string> keys, texts;
    for (int i = 0; i < nr; ++i) {
      keys.emplace_back(found[i].key);
      texts.emplace_back(found[i].text);
    }
    std::vector<h5io_param_t> copy(found, found + nr);
    for (size_t i = 0; i < copy.size(); ++i) {
      copy[i].key = keys[i].c_str();
      copy[i].text = texts[i].c_str();
    }
    EXPECT_EQ(apply(ctx, nr, copy.data()), 0) << error(ctx, 1);

    result.images.assign(static_cast<size_t>(rows * cols * cols), 0.0f);
    result.centres.assign(static_cast<size_t>(rows), 0.0);
    h5io_buffer_t outs[2] = {{result.images.data(), {}, rows, static_cast<size_t>(cols * cols * 4)},
                             {result.centres.data(), {}, rows, 8}};
    const int code = batch(ctx, 0, rows, 5, in, 2, outs);
    EXPECT_EQ(code, 0) << error(ctx, code);
  }
  EXPECT_EQ(complete(ctx), 0);
  return result;
}

// Random angles over the half turn, in random order.
std::vector<double> irregular_angles(int64_t p) {
  std::mt19937 rng(11);
  std::vector<double> a(static_cast<size_t>(p));
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = (static_cast<double>(i) + std::uniform_real_distribution<double>(-0.4, 0.4)(rng)) * pi /
           static_cast<double>(p);
  std::shuffle(a.begin(), a.end(), rng);
  return a;
}

bool gpu_visible() {
  static const bool visible =
      run_library(make_scan(uniform_angles(8)), {{"device", "gpu"}}, false).init_code == 0;
  return visible;
}

TEST(TomoFbpDevice, GpuWithoutAGpuIsAClearError) {
  if (gpu_visible()) GTEST_SKIP() << "a CUDA GPU is visible here: device=gpu is no error";
  const Result r = run_library(make_scan(uniform_angles(8)), {{"device", "gpu"}}, false);
  EXPECT_NE(r.init_code, 0);
#if H5IO_TOMO_FBP_CUDA
  EXPECT_NE(r.error.find("device=gpu but no CUDA GPU is visible (cudaGetDeviceCount: "),
            std::string::npos)
      << r.error;
#else
  EXPECT_NE(r.error.find("this tomo_fbp was built without CUDA"), std::string::npos) << r.error;
#endif
}

TEST(TomoFbpDevice, AutoRecordsTheDeviceAndFallsBackToTheCpu) {
  const Scan scan = make_scan(uniform_angles(60));
  const Result cpu = run_library(scan, {{"device", "cpu"}, {"center", "47.5"}});
  const Result automatic = run_library(scan, {{"center", "47.5"}});
  EXPECT_EQ(cpu.device, "cpu");
  if (gpu_visible()) {
    EXPECT_EQ(automatic.device.rfind("gpu: ", 0), 0u) << automatic.device;
    return;
  }
  EXPECT_EQ(automatic.device, "cpu");
  ASSERT_EQ(automatic.images.size(), cpu.images.size());
  EXPECT_EQ(
      std::memcmp(automatic.images.data(), cpu.images.data(), cpu.images.size() * sizeof(float)),
      0);
}

// ---- GPU against CPU -----------------------------------------------------------

void expect_agreement(const Result& gpu, const Result& cpu, int64_t cols, const std::string& what) {
  ASSERT_EQ(gpu.images.size(), cpu.images.size());
  EXPECT_EQ(gpu.centres, cpu.centres) << what;
  const size_t pixels = static_cast<size_t>(cols * cols);
  for (size_t s = 0; s < cpu.centres.size(); ++s) {
    const float* a = gpu.images.data() + s * pixels;
    const float* b = cpu.images.data() + s * pixels;
    double ma = 0, mb = 0;
    for (size_t i = 0; i < pixels; ++i) {
      ma += a[i];
      mb += b[i];
    }
    ma /= static_cast<double>(pixels);
    mb /= static_cast<double>(pixels);
    double sab = 0, saa = 0, sbb = 0, diff = 0, norm = 0;
    for (size_t i = 0; i < pixels; ++i) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
      diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
      norm += double(b[i]) * b[i];
    }
    const double pearson = sab / std::sqrt(saa * sbb), l2 = std::sqrt(diff / norm);
    EXPECT_GT(pearson, 0.999) << what << " slice " << s;
    EXPECT_LT(l2, 1e-3) << what << " slice " << s;
  }
}

TEST(TomoFbpGpu, AgreesWithTheCpu) {
  if (!gpu_visible())
    GTEST_SKIP() << "no CUDA GPU visible (or tomo_fbp built without CUDA): GPU path not tested";
  for (const bool irregular : {false, true}) {
    const Scan scan = make_scan(irregular ? irregular_angles(170) : uniform_angles(180));
    for (const char* filter : {"ramp", "hann"})
      for (const char* center : {"47.25", "auto", "auto-per-slice"})
        for (const char* extra : {"none", "mask+zero", "rings"}) {
          std::vector<std::pair<std::string, std::string>> kv{{"filter", filter},
                                                              {"center", center}};
          if (std::string(extra) == "mask+zero") {
            kv.push_back({"mask", "true"});
            kv.push_back({"padding", "zero"});
          }
          if (std::string(extra) == "rings") kv.push_back({"rings", "sort"});
          auto gpu_kv = kv, cpu_kv = kv;
          gpu_kv.push_back({"device", "gpu"});
          cpu_kv.push_back({"device", "cpu"});
          const Result gpu = run_library(scan, gpu_kv);
          const Result cpu = run_library(scan, cpu_kv);
          EXPECT_EQ(gpu.device.rfind("gpu: ", 0), 0u);
          expect_agreement(gpu, cpu, scan.cols,
                           std::string(irregular ? "irregular" : "uniform") + " filter " + filter +
                               " centre " + center + " " + extra);
        }
  }
}

// ---- GPU batch sizing -------------------------------------------------------------

#if H5IO_TOMO_FBP_CUDA
TEST(TomoFbpGpuBatchPlan, FitsTheFreeMemoryInWholePasses) {
  using namespace h5io::fbp::gpu;
  const BatchShape shape{2048, 2048, 4096, 2};
  const int64_t per_slice = device_bytes_per_slice(shape);
  // ~128 MiB per slice at 2048^2 with 2048 angles.
  EXPECT_GT(per_slice, 90ll << 20);
  EXPECT_LT(per_slice, 140ll << 20);
  BatchLimits limits;
  limits.free_device_bytes = int64_t{80} << 30;
  limits.pinned_bytes = int64_t{1} << 40;
  const int64_t big = plan_batch_slices(shape, limits, 100000);
  EXPECT_EQ(big % kSlicesPerPass, 0);
  EXPECT_LE(static_cast<double>(big * per_slice + fixed_device_bytes(shape)),
            0.75 * static_cast<double>(limits.free_device_bytes));
  EXPECT_GT(static_cast<double>((big + kSlicesPerPass) * per_slice),
            0.75 * static_cast<double>(limits.free_device_bytes) - 1e9);
  // Little memory: fewer slices, never fewer than 1.
  limits.free_device_bytes = per_slice * 3;
  EXPECT_EQ(plan_batch_slices(shape, limits, 64), 2);
  limits.free_device_bytes = 1 << 20;
  EXPECT_EQ(plan_batch_slices(shape, limits, 64), 1);
}

TEST(TomoFbpGpuBatchPlan, SplitsHostBatchesForOverlapAndHonoursLimits) {
  using namespace h5io::fbp::gpu;
  const BatchShape shape{180, 96, 256, 2};
  BatchLimits limits;
  limits.free_device_bytes = int64_t{80} << 30;
  EXPECT_EQ(plan_batch_slices(shape, limits, 1), 1);
  EXPECT_EQ(plan_batch_slices(shape, limits, 3), 3);
  EXPECT_EQ(plan_batch_slices(shape, limits, 4), 4);
  EXPECT_EQ(plan_batch_slices(shape, limits, 8), 4);   // 2 GPU batches
  EXPECT_EQ(plan_batch_slices(shape, limits, 64), 16); // 4 GPU batches
  limits.max_slices = 6;
  EXPECT_EQ(plan_batch_slices(shape, limits, 64), 4);
  limits.max_slices = 0;
  limits.pinned_bytes = pinned_bytes_per_slice(shape) * 9;
  EXPECT_EQ(plan_batch_slices(shape, limits, 1000), 8);
}
#endif

} // namespace
