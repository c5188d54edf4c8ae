// See gpu_staging.hpp.
#include "gpu_staging.hpp"

#include "flat_field.hpp"

#include <cstring>
#include <vector>

namespace h5io::fbp::gpu {
namespace {

const void* slice_of(const RowSlices& input, int64_t slice) {
  if (input.rows == 0) return nullptr;
  return static_cast<const unsigned char*>(input.data) +
         static_cast<size_t>(slice) * input.slice_bytes;
}

} // namespace

void stage_slice(const RowSlices& projections, const RowSlices& darks, const RowSlices& flats,
                 int64_t cols, bool normalise, int64_t slice, int64_t index,
                 const StagingArea& area) {
  const size_t bytes =
      static_cast<size_t>(projections.rows * cols) * h5io_dtype_size(projections.dtype);
  std::memcpy(static_cast<unsigned char*>(area.values) + static_cast<size_t>(index) * bytes,
              slice_of(projections, slice), bytes);
  if (!normalise) return;
  const std::vector<float> dark =
      numerics::mean_rows({slice_of(darks, slice), darks.dtype, darks.rows}, cols);
  const std::vector<float> flat =
      numerics::mean_rows({slice_of(flats, slice), flats.dtype, flats.rows}, cols);
  std::memcpy(area.dark + index * cols, dark.data(), static_cast<size_t>(cols) * sizeof(float));
  numerics::flat_field_inverse(dark, flat, cols, area.inverse + index * cols);
}

} // namespace h5io::fbp::gpu
