#pragma once
// The GPU back end of tomo_fbp: filtered back-projection of many slices at
// a time with CUDA, following exactly the CPU path's geometry, filters,
// weights and normalisation rules (ARCHITECTURE.md, "Tomography geometry").
// This header needs no CUDA headers: the plugin, the tests and the
// benchmark include it with any C++ compiler.
//
// A run of `count` slices goes through GPU batches of B slices (B from free
// GPU memory; batch_plan.hpp) in two slots, on three streams:
//   host:     stage batch k into page-locked memory   (the Stager callback)
//   upload:   copy batch k to the GPU
//   compute:  -log normalisation -> cuFFT R2C -> filter (x phase ramp for a
//             shifted centre) -> C2R -> weigh + interleave 4 slices ->
//             back-project
//   download: copy batch k's images back
//   host:     hand batch k's images on                  (the Unstager)
// so the upload of k+1, the compute of k and the download of k-1 overlap,
// and the host stages k+1 while the GPU works on k.

#include "options.hpp"

#include "h5io_plugin.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace h5io::fbp::gpu {

struct GpuGeometry {
  int64_t cols = 0;           // detector columns; the images are cols x cols
  std::vector<double> angles; // radians, one per projection
  FilterKind filter = FilterKind::ramp;
  Padding padding = Padding::edge;
  double center = 0;                 // the axis column every slice is back-projected about
  std::optional<double> mask_radius; // pixels further from the centre are 0
};

struct GpuTuning {
  double memory_fraction = 0.75;           // of the free GPU memory for this back end
  int64_t pinned_bytes = int64_t{2} << 30; // page-locked staging, both slots
  int64_t max_batch = 0;                   // slices per GPU batch; 0 = from memory
  bool serial = false; // wait for each stage before the next (to time stages apart)
};

// Seconds spent in each stage, summed over batches. GPU stages are timed
// with CUDA events; in overlapped runs they include time shared with the
// other streams.
struct GpuStats {
  double stage_s = 0, upload_s = 0, compute_s = 0, backproject_s = 0, download_s = 0, unstage_s = 0;
  int64_t batches = 0;
};

enum class InputKind {
  counts,        // raw detector counts: normalised on the GPU with dark and 1/(flat-dark)
  line_integrals // already -log normalised: converted, non-finite values become 0
};

// What the Stager fills for a GPU batch of `count` slices.
struct StagingArea {
  void* values = nullptr;   // [count][P][cols] values of the run's element type
  float* dark = nullptr;    // [count][cols] dark level (counts only)
  float* inverse = nullptr; // [count][cols] 1/(flat-dark), 0 = unusable (counts only)
  double* shifts = nullptr; // [count] filtered projections moved by this many
                            // pixels (zero on entry); see reconstructor.cpp
};
using Stager = std::function<void(int64_t first, int64_t count, const StagingArea& area)>;
// Receives [count][N][N] images of slices first .. first+count-1; the
// pointer is valid only during the call.
using Unstager = std::function<void(int64_t first, int64_t count, const float* images)>;

class GpuReconstructor {
public:
  // Uploads the angles, weights and filter. Uses the calling thread's
  // current device (gpu_device.hpp). Throws Error.
  explicit GpuReconstructor(const GpuGeometry& geometry, const GpuTuning& tuning = {});
  ~GpuReconstructor();
  GpuReconstructor(const GpuReconstructor&) = delete;
  GpuReconstructor& operator=(const GpuReconstructor&) = delete;

  // Reconstructs `count` slices whose values have element type `dtype`.
  // Throws Error (with CUDA's reason) on failure; the object stays usable
  // unless the device itself failed.
  void run(int64_t count, InputKind kind, h5io_dtype_t dtype, const Stager& stage,
           const Unstager& unstage);
  // The same, writing the images to images[count][N][N].
  void run(int64_t count, InputKind kind, h5io_dtype_t dtype, const Stager& stage, float* images);

  // Slices per GPU batch chosen so far (0 before the first run).
  int64_t batch_slices() const;
  const GpuStats& stats() const;
  void reset_stats();

private:
  struct State;
  std::unique_ptr<State> state_;
};

} // namespace h5io::fbp::gpu
