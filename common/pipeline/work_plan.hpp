#pragma once
// Work units: blocks of consecutive slices, aligned to the input's chunk
// extent along the sliced dimension so that every chunk is read once; and,
// when that alignment would leave ranks idle or break the memory budget (one
// frame per chunk: every chunk holds every sinogram), a reslicing stage
// first: units of frames copied once into a scratch file chunked for
// sinogram reads.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace h5io {

enum class UnitStage : int32_t {
  process = 0, // slices [first, first + count) through the library
  reslice = 1, // frames [first, first + count) of the reslice frame space copied to scratch
};

struct Unit {
  int64_t first = 0;
  int64_t count = 0;
  UnitStage stage = UnitStage::process;
  bool operator==(const Unit&) const = default;
};

enum class ReslicePolicy {
  automatic, // when reading directly would leave ranks idle or not fit the memory budget
  always,    // whenever some input can be resliced (tests, compressed frames)
  never,
};

struct PlanOptions {
  // Bytes per unit: of input for plan_units' `slice_bytes`; plan_job passes
  // input and output (what a unit's buffers hold), and frames for reslicing.
  int64_t target_unit_bytes = int64_t{64} << 20;
  int64_t unit_slices = 0; // forced slices per unit (0: derive); a multiple of the alignment
  int ranks = 1; // units are made small enough that this many ranks (at least the group's) get one
  // Per rank, for unit buffers: units are sized to fit, and a job whose
  // smallest unit cannot fit is refused before it starts. 0: no limit.
  int64_t memory_bytes = 0;
  ReslicePolicy reslice = ReslicePolicy::automatic;
  // Forced frames per reslice unit (with `always`; 0: derive). A worker
  // group takes this and unit_slices from the master, so both cut the same
  // unit list.
  int64_t reslice_frames = 0;
};

// What planning needs to know of one sliced input.
struct PlannedInput {
  int64_t chunk_extent = 1; // along its sliced dimension (1: not chunked)
  int64_t slice_bytes = 0;  // one slice of it
  int64_t chunk_bytes = 0;  // one chunk of its storage (0: not chunked), for read staging
  int source = -1;          // the reslice source that can serve it, or -1
};

// A dataset that may be copied into the scratch file: its frames (first
// dimension) are read whole, in blocks.
struct PlannedSource {
  int64_t frames = 0;
  int64_t frame_bytes = 0;
  int64_t frame_chunk = 1; // chunk extent along the frames (1: not chunked)
};

struct PlanRequest {
  int64_t total_slices = 0;
  std::vector<PlannedInput> inputs;
  std::vector<PlannedSource> sources;
  int64_t output_slice_bytes = 0; // all outputs, one slice
  int64_t fixed_bytes = 0;        // held for the whole job whatever the units (whole inputs)
};

struct UnitPlan {
  int64_t total_slices = 0;
  int64_t alignment = 1;
  int64_t slices_per_unit = 1;
  // Reslice units first (when reslicing), then process units.
  std::vector<Unit> units;

  bool reslice = false;
  int64_t reslice_frames = 0;          // frames per reslice unit
  int64_t reslice_units = 0;           // how many of `units` are reslice units
  int64_t scratch_chunk_frames = 0;    // the scratch's chunk extent along the frames
  std::vector<int64_t> source_offsets; // each source's first frame in the reslice frame space

  int64_t memory_bytes = 0; // estimated peak of unit buffers per rank
  std::string reason;       // why the job is (or is not) resliced, for the log

  int64_t process_units() const { return static_cast<int64_t>(units.size()) - reslice_units; }
};

// The alignment for several sliced inputs: the least common multiple of
// their chunk extents along their sliced dimensions (1 = not chunked), or the
// largest extent if the multiple would be absurd (> 64x the largest).
int64_t combined_alignment(std::span<const int64_t> chunk_extents);

// `slice_bytes` is the input bytes one slice reads (all sliced inputs).
// Throws Error if a forced unit size is not a multiple of the alignment.
UnitPlan plan_units(int64_t total_slices, int64_t alignment, int64_t slice_bytes,
                    const PlanOptions& options);

// The whole plan of a job: reads inputs directly when their chunking lets
// every rank work within the memory budget, otherwise (or when forced)
// reslices the inputs that have a source first. Throws Error, with the
// numbers, when no plan fits the budget.
UnitPlan plan_job(const PlanRequest& request, const PlanOptions& options);

// The units rank `rank` of `size` processes in a static split: a contiguous
// run, sizes differing by at most one unit between ranks.
std::vector<Unit> static_share(const std::vector<Unit>& units, int rank, int size);

} // namespace h5io
