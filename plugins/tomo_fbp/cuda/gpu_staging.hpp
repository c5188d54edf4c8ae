#pragma once
// Filling a GPU batch's staging area from slices as the host delivers them
// (raw counts, darks and flats of one detector row each): the values are
// copied as they are, the per-column dark and flat means and 1/(flat-dark)
// computed with the CPU path's own functions (normalise.hpp), so both back
// ends normalise with the same numbers.

#include "gpu_reconstructor.hpp"

#include "h5io_plugin.h"

#include <cstddef>
#include <cstdint>

namespace h5io::fbp::gpu {

// Consecutive slices of one input, `rows` rows of `cols` values each.
struct RowSlices {
  const void* data = nullptr; // may be null when rows == 0
  h5io_dtype_t dtype = H5IO_UINT16;
  size_t slice_bytes = 0;
  int64_t rows = 0;
};

// Stages slice `slice` of the inputs as entry `index` of `area`. With
// `normalise` false only the values are copied. Thread-safe for distinct
// indices.
void stage_slice(const RowSlices& projections, const RowSlices& darks, const RowSlices& flats,
                 int64_t cols, bool normalise, int64_t slice, int64_t index,
                 const StagingArea& area);

} // namespace h5io::fbp::gpu
