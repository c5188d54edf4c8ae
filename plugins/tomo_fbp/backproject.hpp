#pragma once
// Back-projection: the performance-critical step of FBP. Every pixel of an
// N x N image sums, over all angles, the filtered projection linearly
// interpolated at the detector position the pixel projects to
// (ARCHITECTURE.md, "Tomography geometry"):
//     u = c + (ix - h) cos(theta) - (iy - h) sin(theta),   h = floor(N/2).
// Positions outside [0, cols-1] add 0 (scikit-image's left=0, right=0).
//
// The fast kernel works on 8 slices at once (SinogramBlock), on tiles of
// pixels and blocks of angles so the accumulators and the detector span a
// tile sees stay in L1, with the tiles spread over the thread pool. Its
// AVX2+FMA version is picked at run time when the CPU has them; the
// portable version is the same code for whatever the compiler targets.

#include "sinogram_block.hpp"
#include "thread_pool.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace h5io::fbp {

struct BackprojectionGeometry {
  int64_t size = 0;            // N: the image is N x N
  double center = 0;           // detector column of the rotation axis
  std::vector<float> cos, sin; // per angle

  BackprojectionGeometry(int64_t n, double c, std::span<const double> angles);
};

struct ImageSet {
  std::array<float*, kLanes> images{}; // N x N each; nullptr: lane not wanted
  std::optional<double> mask_radius;   // pixels outside this radius are set to 0
};

enum class KernelChoice { automatic, avx2, portable };

bool avx2_fma_available();

// Adds nothing: writes every pixel of every wanted image.
void backproject(const SinogramBlock& block, const BackprojectionGeometry& geometry,
                 const ImageSet& out, numerics::ThreadPool& pool,
                 KernelChoice choice = KernelChoice::automatic);

// The reference: one slice ([angles][cols]), one thread, the plain triple
// loop with the same float arithmetic. For tests and the benchmark.
void backproject_naive(const float* sinogram, int64_t angles, int64_t cols,
                       const BackprojectionGeometry& geometry, float* image);

} // namespace h5io::fbp
