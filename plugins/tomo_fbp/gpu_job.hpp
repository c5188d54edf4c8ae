#pragma once
// One job's reconstruction on the GPU, with the same inputs and outputs as
// Reconstructor::run. What runs where:
// * center given or fitted to the scan, and rings=none: the raw values go to the GPU as they are
//   (2 bytes per value for uint16), and normalisation, -log, filtering and
//   back-projection all run there; the host only copies and averages the
//   darks and flats per column.
//   A fitted, tilted axis adds each slice's shift onto the kernel's centre
//   (the same phase ramp as the CPU path).
// * center=auto-per-slice or rings=sort: these need each slice's line
//   integrals on the host (Vo's centre search, the sorting filter: the CPU
//   code), so the
//   host normalises with the CPU code, removes rings, finds the centre, and
//   uploads float line integrals plus each slice's shift onto the nominal
//   centre; the GPU applies the shift as the same phase ramp as the CPU
//   path. The host work of GPU batch k+1 overlaps the GPU's work on batch k.

#include "options.hpp"
#include "reconstructor.hpp"
#include "thread_pool.hpp"

#include <cstdint>
#include <memory>
#include <span>

namespace h5io::fbp {

class GpuJob {
public:
  // Throws Error for unusable angles or shapes, or when the GPU fails.
  GpuJob(const Options& options, const ScanShape& shape, std::span<const double> angles,
         numerics::ThreadPool& pool);
  ~GpuJob();
  GpuJob(const GpuJob&) = delete;
  GpuJob& operator=(const GpuJob&) = delete;

  bool angles_match(std::span<const double> angles) const;

  // first_slice: the detector row of the first slice (for a fitted axis).
  void run(const RawSlices& projections, const RawSlices& darks, const RawSlices& flats,
           int64_t count, float* images, double* centres, int64_t first_slice = 0);

private:
  struct State;
  std::unique_ptr<State> state_;
};

} // namespace h5io::fbp
