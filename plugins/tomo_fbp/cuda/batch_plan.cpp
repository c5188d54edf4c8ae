// See batch_plan.hpp.
#include "batch_plan.hpp"

#include <algorithm>

namespace h5io::fbp::gpu {
namespace {

int64_t slot_bytes_per_slice(const BatchShape& s) {
  const int64_t half = s.padded / 2 + 1;
  return s.angles * s.cols * s.value_bytes + 2 * s.cols * 4 + half * 8 + s.cols * s.cols * 4;
}

int64_t round_up(int64_t value, int64_t step) {
  return (value + step - 1) / step * step;
}

} // namespace

int64_t device_bytes_per_slice(const BatchShape& s) {
  const int64_t fft_rows = s.angles * (s.padded + 2) * 4;
  const int64_t layout = s.angles * (s.cols + 1) * 4;
  return 2 * slot_bytes_per_slice(s) + 2 * fft_rows + layout;
}

int64_t pinned_bytes_per_slice(const BatchShape& s) {
  return 2 * slot_bytes_per_slice(s);
}

int64_t fixed_device_bytes(const BatchShape& s) {
  return s.angles * (8 + 4) + (s.padded / 2 + 1) * 8 + (int64_t{1} << 20);
}

int64_t plan_batch_slices(const BatchShape& shape, const BatchLimits& limits, int64_t wanted) {
  wanted = std::max<int64_t>(1, wanted);
  const double usable = static_cast<double>(limits.free_device_bytes) * limits.memory_fraction -
                        static_cast<double>(fixed_device_bytes(shape));
  const int64_t by_device =
      usable > 0 ? static_cast<int64_t>(usable / static_cast<double>(device_bytes_per_slice(shape)))
                 : 0;
  const int64_t by_pinned = limits.pinned_bytes / pinned_bytes_per_slice(shape);
  // About a quarter of the host batch, whole passes: four GPU batches let
  // upload, compute and download of neighbours overlap.
  const int64_t for_overlap =
      wanted <= kSlicesPerPass
          ? wanted
          : std::max(kSlicesPerPass, round_up((wanted + 3) / 4, kSlicesPerPass));
  int64_t slices = std::min({wanted, for_overlap, by_device, by_pinned});
  if (limits.max_slices > 0) slices = std::min(slices, limits.max_slices);
  if (slices >= kSlicesPerPass) slices = slices / kSlicesPerPass * kSlicesPerPass;
  return std::max<int64_t>(1, slices);
}

} // namespace h5io::fbp::gpu
