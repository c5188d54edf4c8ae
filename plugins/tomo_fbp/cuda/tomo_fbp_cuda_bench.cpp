// Speed of tomo_fbp's GPU back end, needing only the CUDA toolkit:
//   per size N = P (--sizes, default 2048,4096): a batch of raw uint16
//     slices through the whole GPU pipeline; prints the back-projection
//     kernel's G updates/s (N^2 * P * slices / kernel seconds) and the GPU
//     seconds per slice of the kernel and of all device stages;
//   a volume (--volume-slices, default 2048, of N = P = --volume-size,
//     default 2048): raw counts staged from the host, uploaded,
//     reconstructed, downloaded and copied out, end to end; then the same
//     with every stage waited for before the next (serial), whose stage
//     times summed are what the pipeline would cost without overlap. The
//     fraction hidden is (serial sum - end to end) / (serial sum - largest
//     stage): 1 when everything but the slowest stage is hidden.
// Input slices are synthetic (a few distinct phantoms, reused), made once.
// Exits 0 with a message when no GPU is visible.
#include "gpu_device.hpp"
#include "gpu_reconstructor.hpp"
#include "gpu_staging.hpp"
#include "phantom_reference.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

using namespace h5io::fbp;
using namespace h5io::fbp::testing;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Scan {
  int64_t n = 0, distinct = 0;
  std::vector<uint16_t> projections, darks, flats;
  std::vector<double> angles;
};

// `distinct` different raw slices of N x N from N angles.
Scan make_scan(int64_t n, int64_t distinct) {
  Scan s;
  s.n = n;
  s.distinct = distinct;
  s.angles = uniform_angles(n);
  for (int64_t k = 0; k < distinct; ++k) {
    const std::vector<double> line =
        sinogram(head_phantom(0.4 * static_cast<double>(n), 4.0 / static_cast<double>(n),
                              static_cast<int>(k)),
                 s.angles, n, static_cast<double>(n / 2));
    const std::vector<uint16_t> raw = counts_of(line, 100, 30000);
    s.projections.insert(s.projections.end(), raw.begin(), raw.end());
  }
  s.darks.assign(static_cast<size_t>(distinct * 2 * n), 100);
  s.flats.assign(static_cast<size_t>(distinct * 2 * n), 30100);
  return s;
}

gpu::Stager stager_for(const Scan& s) {
  const size_t values = static_cast<size_t>(s.n * s.n);
  const gpu::RowSlices proj{s.projections.data(), H5IO_UINT16, values * 2, s.n};
  const gpu::RowSlices dark{s.darks.data(), H5IO_UINT16, static_cast<size_t>(2 * s.n) * 2, 2};
  const gpu::RowSlices flat{s.flats.data(), H5IO_UINT16, static_cast<size_t>(2 * s.n) * 2, 2};
  return [proj, dark, flat, n = s.n, distinct = s.distinct](int64_t first, int64_t count,
                                                            const gpu::StagingArea& area) {
    for (int64_t k = 0; k < count; ++k)
      gpu::stage_slice(proj, dark, flat, n, true, (first + k) % distinct, k, area);
  };
}

gpu::GpuGeometry geometry_for(const Scan& s) {
  gpu::GpuGeometry g;
  g.cols = s.n;
  g.angles = s.angles;
  g.center = static_cast<double>(s.n / 2);
  return g;
}

double updates(int64_t n, int64_t slices) {
  return static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) *
         static_cast<double>(slices);
}

void bench_size(int64_t n, int64_t slices) {
  const Scan scan = make_scan(n, 2);
  gpu::GpuReconstructor recon(geometry_for(scan));
  std::vector<float> images(static_cast<size_t>(slices * n * n));
  const gpu::Stager stage = stager_for(scan);
  recon.run(slices, gpu::InputKind::counts, H5IO_UINT16, stage, images.data()); // warm up
  recon.reset_stats();
  const int repeats = 3;
  for (int r = 0; r < repeats; ++r)
    recon.run(slices, gpu::InputKind::counts, H5IO_UINT16, stage, images.data());
  const gpu::GpuStats& st = recon.stats();
  const double total = static_cast<double>(slices * repeats);
  std::printf("N=P=%lld: back-projection %.1f G updates/s, %.2f ms/slice; all GPU stages "
              "(normalise, FFT, filter, back-project) %.2f ms/slice; upload %.2f, download %.2f "
              "ms/slice; GPU batch %lld slices\n",
              static_cast<long long>(n), updates(n, slices * repeats) / st.backproject_s / 1e9,
              st.backproject_s / total * 1e3, st.compute_s / total * 1e3, st.upload_s / total * 1e3,
              st.download_s / total * 1e3, static_cast<long long>(recon.batch_slices()));
  std::fflush(stdout);
}

void bench_volume(int64_t n, int64_t slices, int64_t host_batch) {
  const Scan scan = make_scan(n, 4);
  std::vector<float> sink(static_cast<size_t>(host_batch * n * n));
  const gpu::Stager stage_all = stager_for(scan);
  // The host's images land in a buffer of one host batch (a real run
  // writes them to the output file from there).
  const auto run_volume = [&](gpu::GpuReconstructor& recon) {
    const double start = now();
    for (int64_t first = 0; first < slices; first += host_batch) {
      const int64_t count = std::min(host_batch, slices - first);
      recon.run(
          count, gpu::InputKind::counts, H5IO_UINT16,
          [&](int64_t f, int64_t c, const gpu::StagingArea& a) { stage_all(first + f, c, a); },
          [&](int64_t f, int64_t c, const float* images) {
            std::memcpy(sink.data() + f * n * n, images,
                        static_cast<size_t>(c * n * n) * sizeof(float));
          });
    }
    return now() - start;
  };
  gpu::GpuTuning overlapped;
  gpu::GpuReconstructor recon(geometry_for(scan), overlapped);
  gpu::GpuTuning serial_tuning;
  serial_tuning.serial = true;
  gpu::GpuReconstructor serial(geometry_for(scan), serial_tuning);
  // Warm up both (buffers, plans, first launches) before timing.
  const int64_t warm = std::min(host_batch, slices);
  recon.run(warm, gpu::InputKind::counts, H5IO_UINT16, stage_all, sink.data());
  serial.run(warm, gpu::InputKind::counts, H5IO_UINT16, stage_all, sink.data());
  recon.reset_stats();
  serial.reset_stats();
  const double end_to_end = run_volume(recon);
  const double serial_wall = run_volume(serial);
  const gpu::GpuStats& s = serial.stats();
  const double stages[] = {s.stage_s, s.upload_s, s.compute_s, s.download_s, s.unstage_s};
  double sum = 0, largest = 0;
  for (const double t : stages) {
    sum += t;
    largest = std::max(largest, t);
  }
  const double hidden = sum > largest ? (sum - end_to_end) / (sum - largest) : 0.0;
  std::printf("volume of %lld slices, N=P=%lld, uint16, host batches of %lld (GPU batch %lld):\n"
              "  end to end %.2f s (%.2f ms/slice, %.1f G updates/s)\n"
              "  stages waited for one by one: host staging %.2f s, upload %.2f s, GPU compute "
              "%.2f s, download %.2f s, host copy-out %.2f s; sum %.2f s (wall %.2f s)\n"
              "  overlap hides %.0f %% of the time outside the slowest stage; end to end is "
              "%.2f x the serial sum\n",
              static_cast<long long>(slices), static_cast<long long>(n),
              static_cast<long long>(host_batch), static_cast<long long>(recon.batch_slices()),
              end_to_end, end_to_end / static_cast<double>(slices) * 1e3,
              updates(n, slices) / end_to_end / 1e9, s.stage_s, s.upload_s, s.compute_s,
              s.download_s, s.unstage_s, sum, serial_wall, 100.0 * hidden, end_to_end / sum);
}

std::vector<int64_t> parse_list(const char* text) {
  std::vector<int64_t> out;
  std::string t(text);
  size_t start = 0;
  while (start <= t.size()) {
    const size_t comma = t.find(',', start);
    out.push_back(std::atoll(t.substr(start, comma - start).c_str()));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> sizes{2048, 4096};
  int64_t batch = 8, volume_slices = 2048, volume_size = 2048, host_batch = 64;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--help" || value == nullptr) {
      std::printf(
          "usage: %s [--sizes 2048,4096] [--batch 8] [--volume-slices 2048] "
          "[--volume-size 2048] [--host-batch 64]\n  (--volume-slices 0 skips the volume)\n",
          argv[0]);
      return arg == "--help" ? 0 : 2;
    }
    ++i;
    if (arg == "--sizes")
      sizes = parse_list(value);
    else if (arg == "--batch")
      batch = std::atoll(value);
    else if (arg == "--volume-slices")
      volume_slices = std::atoll(value);
    else if (arg == "--volume-size")
      volume_size = std::atoll(value);
    else if (arg == "--host-batch")
      host_batch = std::atoll(value);
    else {
      std::fprintf(stderr, "unknown option %s\n", arg.c_str());
      return 2;
    }
  }
  std::string why;
  if (gpu::visible_device_count(why) == 0) {
    std::printf("no CUDA device (%s): nothing to measure\n", why.c_str());
    return 0;
  }
  try {
    std::printf("device: %s\n", gpu::bind_device(0).c_str());
    for (const int64_t n : sizes)
      if (n >= 2) bench_size(n, std::max<int64_t>(1, batch));
    if (volume_slices > 0)
      bench_volume(volume_size, volume_slices, std::max<int64_t>(1, host_batch));
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
  return 0;
}
