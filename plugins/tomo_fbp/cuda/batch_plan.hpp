#pragma once
// How many slices one GPU batch holds. Pure arithmetic (no CUDA), so it is
// unit-tested on machines without a GPU.
//
// A batch of B slices needs, per slice, on the GPU:
//   two slots (double buffering) of: the input values [P][cols], the dark
//   and 1/(flat-dark) rows, the filter kernel [M/2+1] complex, the images
//   [N][N];
//   once: the in-place FFT rows [P][M+2] and the back-projection layout
//   [P][cols+1] (a quarter of a float4 row), plus cuFFT's work area, taken
//   as large as the FFT rows (its real size is known only once planned,
//   and is usually smaller);
// and in page-locked host memory the two slots again.
// B is the largest count that fits `memory_fraction` of the free GPU memory
// (the rest is the safety margin: the CUDA context, other processes,
// fragmentation) and the page-locked budget, and is split so that a host
// batch runs as several GPU batches whose copies and compute overlap.

#include <cstdint>

namespace h5io::fbp::gpu {

constexpr int64_t kSlicesPerPass = 4; // slices the back-projection kernel reconstructs at once

struct BatchShape {
  int64_t angles = 0;      // P
  int64_t cols = 0;        // N
  int64_t padded = 0;      // M, the FFT length
  int64_t value_bytes = 0; // bytes of one input value (2 for uint16 counts)
};

struct BatchLimits {
  int64_t free_device_bytes = 0;
  double memory_fraction = 0.75;
  int64_t pinned_bytes = int64_t{2} << 30; // both slots together
  int64_t max_slices = 0;                  // 0: no limit of its own
};

int64_t device_bytes_per_slice(const BatchShape& shape);
int64_t pinned_bytes_per_slice(const BatchShape& shape);
// GPU memory that does not grow with the batch (angles, weights, one kernel).
int64_t fixed_device_bytes(const BatchShape& shape);

// Slices per GPU batch for a host batch of `wanted` slices: >= 1 (the
// caller reports the error if even 1 does not fit when allocating), a
// multiple of kSlicesPerPass when >= kSlicesPerPass, and at most about a
// quarter of `wanted` (so 4+ batches overlap) but never below one pass.
int64_t plan_batch_slices(const BatchShape& shape, const BatchLimits& limits, int64_t wanted);

} // namespace h5io::fbp::gpu
