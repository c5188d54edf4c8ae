#pragma once
// One job's reconstruction of batches of slices: normalise, remove rings,
// take the centre (given, fitted to the scan, or searched per slice),
// filter, back-project. Slices go through in groups of 8
// (the back-projection kernel's width); each stage is split into tasks on
// the thread pool. Every slice's result depends on its own data, the angles
// and the options alone, never on which other slices share its batch or
// group, or on the thread count: each lane of the kernel does the same
// arithmetic, and every task writes only its own outputs.

#include "backproject.hpp"
#include "center_vo.hpp"
#include "options.hpp"
#include "projection_filter.hpp"
#include "scan_data.hpp"
#include "sinogram_block.hpp"
#include "thread_pool.hpp"

#include "h5io_plugin.h"

#include <complex>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace h5io::fbp {

class Reconstructor {
public:
  // Plans every FFT (call on the library's thread). Throws Error for
  // unusable angles or shapes.
  Reconstructor(const Options& options, const ScanShape& shape, std::span<const double> angles,
                numerics::ThreadPool& pool);

  const ScanShape& shape() const { return shape_; }
  bool angles_match(std::span<const double> angles) const;

  // Raw scan data in, `count` images (N x N float, slice after slice) and
  // rotation centres out. first_slice is the detector row of the first
  // slice: with a fitted axis (Options::axis) it sets each slice's centre.
  void run(const RawSlices& projections, const RawSlices& darks, const RawSlices& flats,
           int64_t count, float* images, double* centres, int64_t first_slice = 0);

  // The same from line integrals already in float ([count][P][cols]),
  // skipping normalisation.
  void run_sinograms(const float* sinograms, int64_t count, float* images, double* centres,
                     int64_t first_slice = 0);

private:
  // prepare(slice in group, sinogram [P][cols]) fills one slice's line
  // integrals; first_slice is the group's first detector row.
  void run_group(int64_t lanes, int64_t first_slice,
                 const std::function<void(int64_t, float*)>& prepare, float* images,
                 double* centres);

  Options options_;
  ScanShape shape_;
  std::vector<double> angles_;
  std::vector<float> factors_; // back-projection weight of each projection
  numerics::ThreadPool& pool_;
  ProjectionFilter filter_;
  std::unique_ptr<CenterFinder> finder_; // when center=auto
  std::vector<std::complex<float>> fixed_kernel_;
  BackprojectionGeometry geometry_;
  SinogramBlock block_;
  std::vector<float> sinograms_; // kLanes x [P][cols]
  std::array<std::vector<std::complex<float>>, kLanes> kernels_;
  std::array<bool, kLanes> shifted_{}; // lane uses kernels_, not fixed_kernel_
};

} // namespace h5io::fbp
