#pragma once
// Work units: blocks of consecutive slices, aligned to the input's chunk
// extent along the sliced dimension so that every chunk is read once.

#include <cstdint>
#include <span>
#include <vector>

namespace h5io {

struct Unit {
  int64_t first = 0;
  int64_t count = 0;
  bool operator==(const Unit&) const = default;
};

struct PlanOptions {
  int64_t target_unit_bytes = int64_t{64} << 20; // input bytes per unit
  int64_t unit_slices = 0; // forced slices per unit (0: derive); a multiple of the alignment
  int ranks = 1; // units are made small enough that this many ranks (at least the group's) get one
};

struct UnitPlan {
  int64_t total_slices = 0;
  int64_t alignment = 1;
  int64_t slices_per_unit = 1;
  std::vector<Unit> units;
};

// The alignment for several sliced inputs: the least common multiple of
// their chunk extents along their sliced dimensions (1 = not chunked), or the
// largest extent if the multiple would be absurd (> 64x the largest).
int64_t combined_alignment(std::span<const int64_t> chunk_extents);

// `slice_bytes` is the input bytes one slice reads (all sliced inputs).
// Throws Error if a forced unit size is not a multiple of the alignment.
UnitPlan plan_units(int64_t total_slices, int64_t alignment, int64_t slice_bytes,
                    const PlanOptions& options);

// The units rank `rank` of `size` processes in a static split: a contiguous
// run, sizes differing by at most one unit between ranks.
std::vector<Unit> static_share(const std::vector<Unit>& units, int rank, int size);

} // namespace h5io
