#include "common/work_plan.hpp"

#include "common/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace h5io {

int64_t combined_alignment(std::span<const int64_t> chunk_extents) {
  int64_t alignment = 1;
  int64_t largest = 1;
  for (const int64_t extent : chunk_extents) {
    const int64_t e = std::max<int64_t>(extent, 1);
    largest = std::max(largest, e);
    alignment = std::lcm(alignment, e);
  }
  return alignment > 64 * largest ? largest : alignment;
}

UnitPlan plan_units(int64_t total_slices, int64_t alignment, int64_t slice_bytes,
                    const PlanOptions& options) {
  UnitPlan plan;
  plan.total_slices = total_slices;
  plan.alignment = std::max<int64_t>(alignment, 1);
  if (options.unit_slices > 0) {
    if (options.unit_slices % plan.alignment != 0)
      throw Error(fmt::format("a unit of {} slices is not a multiple of the input's chunk extent "
                              "{} along the sliced dimension: every chunk would be read more than "
                              "once; use a multiple of {}",
                              options.unit_slices, plan.alignment, plan.alignment));
    plan.slices_per_unit = options.unit_slices;
  } else {
    const int64_t chunk_bytes = std::max<int64_t>(slice_bytes, 1) * plan.alignment;
    const int64_t chunks_by_size = std::max<int64_t>(1, options.target_unit_bytes / chunk_bytes);
    // Smaller units rather than idle ranks.
    const int64_t chunks_total = (total_slices + plan.alignment - 1) / plan.alignment;
    const int64_t chunks_by_ranks = std::max<int64_t>(1, chunks_total / std::max(options.ranks, 1));
    plan.slices_per_unit = plan.alignment * std::min(chunks_by_size, chunks_by_ranks);
  }
  for (int64_t first = 0; first < total_slices; first += plan.slices_per_unit)
    plan.units.push_back(Unit{first, std::min(plan.slices_per_unit, total_slices - first)});
  return plan;
}

std::vector<Unit> static_share(const std::vector<Unit>& units, int rank, int size) {
  const auto count = static_cast<int64_t>(units.size());
  const int64_t begin = count * rank / size;
  const int64_t end = count * (rank + 1) / size;
  return {units.begin() + begin, units.begin() + end};
}

} // namespace h5io
