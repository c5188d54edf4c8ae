// Speed of tomo_fbp's CPU reconstruction, printed for N x N slices from N
// angles (N = P):
//   back-projection   the 8-slice tiled kernel on the thread pool, against
//                     the plain one-slice scalar triple loop on one thread
//                     (timed on fewer angles when slow, then scaled: its
//                     cost is exactly linear in the angles);
//   full FBP          normalise + filter + back-project of uint16 raw data
//                     with a fixed centre (and, for reference, center=auto);
//   --iradon          scikit-image's iradon on the same size, run by
//                     bench/iradon_bench.py under /usr/bin/python3;
//   --methods         method=fbp against method=fourier on the same raw
//                     uint16 data (fixed centre), side by side: s/slice,
//                     equivalent GUPS and the speed-up, each the best of
//                     --rounds runs taken in turn (fbp, fourier, fbp, ...)
//                     so a busy spell on a shared machine slows both. fbp
//                     runs 8 slices (its kernel's width; fewer cost the
//                     same), fourier --fourier-slices (pairs); P = N unless
//                     --angles-per-column says otherwise (method=auto's
//                     rule depends on both).
// GUPS = N^2 * P * slices / seconds (pixel updates per second, in 1e9).
// Every time is the best of at least two runs.
#include "backproject.hpp"
#include "fourier_reconstructor.hpp"
#include "options.hpp"
#include "reconstructor.hpp"
#include "sinogram_block.hpp"
#include "thread_pool.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numbers>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace h5io::fbp;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Runs f at least twice and until `min_seconds` have passed; the fastest
// run (this machine is shared, and a run can only be slowed, never sped up,
// by other work).
template <class F> double time_it(F&& f, double min_seconds) {
  double best = 1e300, total = 0;
  for (int runs = 0; runs < 2 || total < min_seconds; ++runs) {
    const double start = now();
    f();
    const double elapsed = now() - start;
    best = std::min(best, elapsed);
    total += elapsed;
  }
  return best;
}

std::vector<double> uniform_angles(int64_t p) {
  std::vector<double> a(static_cast<size_t>(p));
  for (int64_t i = 0; i < p; ++i)
    a[static_cast<size_t>(i)] = std::numbers::pi * static_cast<double>(i) / static_cast<double>(p);
  return a;
}

double gups(int64_t n, int64_t p, int64_t slices, double seconds) {
  return static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(p) *
         static_cast<double>(slices) / seconds / 1e9;
}

// The seconds per slice iradon_bench.py reports, or a negative number.
double run_iradon(int64_t n) {
  const std::string command = std::string(H5IO_PYTHON) + " " + H5IO_IRADON_SCRIPT + " --size " +
                              std::to_string(n) + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  double seconds = -1;
  char line[512];
  while (std::fgets(line, sizeof(line), pipe) != nullptr) {
    std::fputs("    iradon: ", stdout);
    std::fputs(line, stdout);
    std::sscanf(line, "seconds_per_slice=%lf", &seconds);
  }
  return pclose(pipe) == 0 ? seconds : -1;
}

struct SizeResult {
  double fbp_per_slice = 0;
};

SizeResult bench_size(int64_t n, h5io::numerics::ThreadPool& pool, int64_t naive_max_angles,
                      bool auto_center) {
  const int64_t p = n;
  const std::vector<double> angles = uniform_angles(p);
  std::printf("N = P = %lld (%d threads, %s kernel)\n", static_cast<long long>(n), pool.size(),
              avx2_fma_available() ? "AVX2+FMA" : "portable");

  // A block of 8 filtered sinograms with random values: the kernel's work
  // does not depend on the values.
  SinogramBlock block(p, n);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> single(static_cast<size_t>(p * n));
  for (int64_t a = 0; a < p; ++a)
    for (int64_t u = 0; u < n; ++u)
      for (int l = 0; l < kLanes; ++l) {
        const float v = value(rng);
        block.row(a)[u * kLanes + l] = v;
        if (l == 0) single[static_cast<size_t>(a * n + u)] = v;
      }
  const BackprojectionGeometry geometry(n, static_cast<double>(n / 2), angles);
  std::vector<float> images(static_cast<size_t>(kLanes * n * n));
  ImageSet out;
  for (int l = 0; l < kLanes; ++l) out.images[static_cast<size_t>(l)] = images.data() + l * n * n;

  const double fast = time_it([&] { backproject(block, geometry, out, pool); }, 2.0);
  const double fast_slice = fast / kLanes;
  std::printf(
      "  back-projection, 8-slice kernel: %8.3f s per 8 slices  %8.4f s/slice  %6.2f GUPS\n", fast,
      fast_slice, gups(n, p, kLanes, fast));

  // The naive loop on one thread, on the first `naive_angles` angles.
  const int64_t naive_angles = std::min(p, naive_max_angles);
  BackprojectionGeometry naive_geometry(n, static_cast<double>(n / 2),
                                        std::span(angles).first(static_cast<size_t>(naive_angles)));
  std::vector<float> image(static_cast<size_t>(n * n));
  const double naive_part = time_it(
      [&] { backproject_naive(single.data(), naive_angles, n, naive_geometry, image.data()); },
      1.0);
  const double naive = naive_part * static_cast<double>(p) / static_cast<double>(naive_angles);
  std::printf("  back-projection, naive scalar loop (1 thread%s): %8.3f s/slice  %6.2f GUPS\n",
              naive_angles < p ? (", timed on " + std::to_string(naive_angles) + " of " +
                                  std::to_string(p) + " angles and scaled")
                                     .c_str()
                               : "",
              naive, gups(n, p, 1, naive));
  std::printf("  ratio naive / 8-slice kernel: %.1fx (per slice, %d threads vs 1)\n",
              naive / fast_slice, pool.size());

  // Full FBP from raw uint16 data: normalise, filter, back-project.
  SizeResult result;
  {
    const int64_t slices = kLanes, darks = 4, flats = 4;
    std::vector<uint16_t> proj(static_cast<size_t>(slices * p * n)),
        dark(static_cast<size_t>(slices * darks * n)),
        flat(static_cast<size_t>(slices * flats * n));
    std::uniform_int_distribution<int> counts(8000, 30000);
    for (auto& v : proj) v = static_cast<uint16_t>(counts(rng));
    for (auto& v : dark) v = 100;
    for (auto& v : flat) v = 32000;
    const RawSlices raw_p{proj.data(), H5IO_UINT16, static_cast<size_t>(p * n) * 2};
    const RawSlices raw_d{dark.data(), H5IO_UINT16, static_cast<size_t>(darks * n) * 2};
    const RawSlices raw_f{flat.data(), H5IO_UINT16, static_cast<size_t>(flats * n) * 2};
    std::vector<double> centres(static_cast<size_t>(slices));
    for (const bool automatic : {false, true}) {
      if (automatic && !auto_center) continue;
      Options options;
      if (!automatic) options.center = static_cast<double>(n / 2);
      Reconstructor recon(options, {p, n, darks, flats}, angles, pool);
      const double full = time_it(
          [&] { recon.run(raw_p, raw_d, raw_f, slices, images.data(), centres.data()); }, 2.0);
      std::printf("  full FBP (normalise + filter + back-project), center=%s: %8.4f s/slice\n",
                  automatic ? "auto" : "fixed", full / static_cast<double>(slices));
      if (!automatic) result.fbp_per_slice = full / static_cast<double>(slices);
    }
  }
  std::fflush(stdout);
  return result;
}

// uint16 raw scans of `slices` sinograms: random counts (the work does
// not depend on the values).
struct RawData {
  int64_t slices, p, n, darks = 4, flats = 4;
  std::vector<uint16_t> proj, dark, flat;
  RawData(int64_t s, int64_t angles, int64_t cols)
      : slices(s), p(angles), n(cols), proj(static_cast<size_t>(s * angles * cols)),
        dark(static_cast<size_t>(s * darks * cols), 100),
        flat(static_cast<size_t>(s * flats * cols), 32000) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> counts(8000, 30000);
    for (auto& v : proj) v = static_cast<uint16_t>(counts(rng));
  }
  RawSlices projections() const { return {proj.data(), H5IO_UINT16, size_t(p * n) * 2}; }
  RawSlices darks_raw() const { return {dark.data(), H5IO_UINT16, size_t(darks * n) * 2}; }
  RawSlices flats_raw() const { return {flat.data(), H5IO_UINT16, size_t(flats * n) * 2}; }
};

void compare_methods(const std::vector<int64_t>& sizes, h5io::numerics::ThreadPool& pool,
                     int rounds, int64_t fourier_slices, double angles_ratio) {
  std::printf(
      "method=fbp against method=fourier, P = %.2f N, normalise + filter + reconstruct from "
      "uint16, fixed centre, %d threads, best of %d interleaved rounds\n",
      angles_ratio, pool.size(), rounds);
  std::printf("%6s | %10s %8s | %10s %8s | %8s\n", "N", "fbp s/sl", "GUPS", "fourier", "GUPS",
              "speed-up");
  for (const int64_t n : sizes) {
    const auto p = std::max<int64_t>(1, std::llround(angles_ratio * static_cast<double>(n)));
    const std::vector<double> angles = uniform_angles(p);
    Options options;
    options.center = static_cast<double>(n / 2);
    const RawData fbp_data(kLanes, p, n), fourier_data(fourier_slices, p, n);
    std::vector<float> images(static_cast<size_t>(kLanes * n * n));
    std::vector<double> centres(kLanes);
    double fbp_best = 1e300, fourier_best = 1e300;
    {
      Reconstructor fbp(options, {p, n, 4, 4}, angles, pool);
      FourierReconstructor fourier(options, {p, n, 4, 4}, angles, pool);
      for (int round = 0; round < rounds; ++round) {
        double start = now();
        fbp.run(fbp_data.projections(), fbp_data.darks_raw(), fbp_data.flats_raw(), kLanes,
                images.data(), centres.data());
        fbp_best = std::min(fbp_best, (now() - start) / kLanes);
        start = now();
        fourier.run(fourier_data.projections(), fourier_data.darks_raw(), fourier_data.flats_raw(),
                    fourier_slices, images.data(), centres.data());
        fourier_best = std::min(fourier_best, (now() - start) / double(fourier_slices));
      }
    }
    std::printf("%6lld | %10.4f %8.2f | %10.4f %8.2f | %7.2fx\n", static_cast<long long>(n),
                fbp_best, gups(n, p, 1, fbp_best), fourier_best, gups(n, p, 1, fourier_best),
                fbp_best / fourier_best);
    std::fflush(stdout);
  }
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"tomo_fbp CPU reconstruction benchmark"};
  std::vector<int64_t> sizes{512, 1024, 2048};
  int threads = 0;
  int64_t naive_angles = 256;
  bool iradon = false, auto_center = false, methods = false;
  int rounds = 3;
  int64_t fourier_slices = 4;
  double angles_ratio = 1.0;
  app.add_option("--sizes", sizes, "image sizes N (N angles of N columns)")->delimiter(',');
  app.add_option("--threads", threads, "threads (0 = all cores)");
  app.add_option("--naive-angles", naive_angles,
                 "time the naive loop on at most this many angles, then scale");
  app.add_flag("--iradon", iradon,
               "also time scikit-image's iradon for N = 1024 and 2048 (bench/iradon_bench.py)");
  app.add_flag("--auto-center", auto_center, "also time the full FBP with center=auto");
  app.add_flag("--methods", methods,
               "only compare method=fbp and method=fourier at --sizes, side by side");
  app.add_option("--rounds", rounds, "rounds of the --methods comparison (best is kept)");
  app.add_option("--fourier-slices", fourier_slices, "slices per fourier run (--methods)");
  app.add_option("--angles-per-column", angles_ratio,
                 "P / N for the --methods comparison (1: P = N; method=auto's rule needs both)");
  CLI11_PARSE(app, argc, argv);

  h5io::numerics::ThreadPool pool(
      threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  if (methods) {
    compare_methods(sizes, pool, std::max(1, rounds), std::max<int64_t>(1, fourier_slices),
                    std::max(1e-3, angles_ratio));
    return 0;
  }
  for (const int64_t n : sizes) {
    const SizeResult r = bench_size(n, pool, std::max<int64_t>(1, naive_angles), auto_center);
    if (iradon && (n == 1024 || n == 2048)) {
      const double seconds = run_iradon(n);
      if (seconds > 0)
        std::printf("  iradon s/slice / ours s/slice (full FBP, fixed centre): %.1f\n",
                    seconds / r.fbp_per_slice);
      else
        std::printf("  iradon could not be timed (needs /usr/bin/python3 with scikit-image)\n");
    }
  }
  return 0;
}
