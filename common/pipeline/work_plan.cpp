#include "common/pipeline/work_plan.hpp"

#include "common/pipeline/space_reservation.hpp"
#include "common/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <numeric>
#include <optional>

namespace h5io {

namespace {

constexpr int64_t kMiB = int64_t{1} << 20;
// The scratch's chunks are made at least this big (more frames per chunk)
// so that reading a unit of sinograms makes few, large reads.
constexpr int64_t kScratchChunkBytes = 4 * kMiB;

// Reading a chunked input stages whole chunks in two batches of at least
// 2 MiB (InputDataset::read_slices); contiguous data in runs of ~4 MiB.
int64_t read_staging_bytes(int64_t chunk_bytes) {
  return 2 * std::max(chunk_bytes > 0 ? chunk_bytes : 4 * kMiB, 2 * kMiB);
}

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// A plan that may not fit: why not, in words (a whole sentence), when it
// does not.
struct Candidate {
  UnitPlan plan;
  std::optional<std::string> unfit;
};

// Reslicing costs a second write and read of the frames; it pays when
// reading directly would leave the busiest rank with more than 4/3 of an
// even share of the slices (ranks idle while one works).
bool balanced(const UnitPlan& plan, int64_t total_slices, int ranks_wanted) {
  const int64_t ranks = std::max(ranks_wanted, 1);
  const auto units = static_cast<int64_t>(plan.units.size());
  const int64_t busiest = ceil_div(units, ranks) * plan.slices_per_unit;
  return 3 * busiest * ranks <= 4 * std::max(total_slices, ranks);
}

std::string does_not_fit(const std::string& why) {
  return "the job does not fit: " + why;
}

// Process units for `alignment`, shrunk to the budget. `held` is what the
// job holds whatever the unit size (whole inputs, read staging).
Candidate process_candidate(const PlanRequest& request, int64_t alignment, int64_t held,
                            const PlanOptions& options, bool power_of_two = false) {
  int64_t input_bytes = 0;
  for (const PlannedInput& input : request.inputs) input_bytes += input.slice_bytes;
  const int64_t per_slice = input_bytes + request.output_slice_bytes;
  const auto need = [&](int64_t slices) { return 2 * slices * per_slice + held; };

  if (options.unit_slices > 0 && options.unit_slices % alignment != 0) {
    Candidate refused;
    refused.unfit = fmt::format(
        "a unit of {} slices is not a multiple of the input's chunk extent {} along the sliced "
        "dimension: every chunk would be read more than once; use a multiple of {}",
        options.unit_slices, alignment, alignment);
    return refused;
  }
  // The target is what a unit's buffers hold, in and out: a library whose
  // output is larger than its input (a float volume from uint16 frames)
  // gets units sized by what it really holds.
  Candidate candidate{plan_units(request.total_slices, alignment, per_slice, options), {}};
  UnitPlan& plan = candidate.plan;
  const int64_t budget = options.memory_bytes;
  if (budget > 0 && need(plan.slices_per_unit) > budget) {
    const int64_t fitting = budget > held ? (budget - held) / (2 * per_slice) : 0;
    const int64_t aligned = fitting / plan.alignment * plan.alignment;
    if (options.unit_slices > 0 || aligned < plan.alignment) {
      const int64_t smallest = options.unit_slices > 0 ? options.unit_slices : plan.alignment;
      const char* why = options.unit_slices > 0 ? ""
                        : plan.alignment > 1    ? " (one chunk along the sliced dimension)"
                                                : " (the smallest unit)";
      candidate.unfit = does_not_fit(fmt::format(
          "a unit of {} slice{}{} needs {} per rank (two buffers of {} x {} in and out per slice, "
          "plus {} held for the whole job), more than the memory budget of {}",
          smallest, smallest == 1 ? "" : "s", why, byte_size_text(need(smallest)), smallest,
          byte_size_text(per_slice), byte_size_text(held), byte_size_text(budget)));
      return candidate;
    }
    PlanOptions shrunk = options;
    shrunk.unit_slices = aligned;
    plan = plan_units(request.total_slices, alignment, per_slice, shrunk);
  }
  if (power_of_two && options.unit_slices == 0 && plan.alignment == 1) {
    PlanOptions rounded = options;
    rounded.unit_slices = std::bit_floor(static_cast<uint64_t>(plan.slices_per_unit));
    plan = plan_units(request.total_slices, 1, per_slice, rounded);
  }
  plan.memory_bytes = need(plan.slices_per_unit);
  return candidate;
}

// Reading directly: every input aligned to its own chunks.
Candidate direct_candidate(const PlanRequest& request, const PlanOptions& options) {
  std::vector<int64_t> extents;
  int64_t held = request.fixed_bytes;
  for (const PlannedInput& input : request.inputs) {
    extents.push_back(input.chunk_extent);
    held += read_staging_bytes(input.chunk_bytes);
  }
  return process_candidate(request, combined_alignment(extents), held, options);
}

// Which sources the reslicing copies: those behind an input whose chunks
// span more than one slice; when none does and reslicing is forced, every
// source. (A worker group forced to the master's plan picks the same ones.)
std::vector<bool> sources_to_reslice(const PlanRequest& request) {
  std::vector<bool> chosen(request.sources.size(), false);
  bool any = false;
  for (const PlannedInput& input : request.inputs)
    if (input.source >= 0 && input.chunk_extent > 1) {
      chosen[static_cast<size_t>(input.source)] = true;
      any = true;
    }
  if (!any) std::fill(chosen.begin(), chosen.end(), true);
  return chosen;
}

Candidate reslice_candidate(const PlanRequest& request, const std::vector<bool>& chosen,
                            const PlanOptions& options) {
  // Inputs served from the scratch are aligned to its chunks, which are cut
  // to the process units (below), so they add no alignment of their own.
  std::vector<int64_t> extents;
  int64_t held = request.fixed_bytes;
  for (const PlannedInput& input : request.inputs) {
    const bool scratch = input.source >= 0 && chosen[static_cast<size_t>(input.source)];
    extents.push_back(scratch ? 1 : input.chunk_extent);
    held += read_staging_bytes(scratch ? kScratchChunkBytes : input.chunk_bytes);
  }
  // The copy's chunks are cut to the process units, so their size is free:
  // a power of two, because libraries work on slices in SIMD-wide groups
  // (tomo_fbp eight at a time: 10 slices would cost as much as 16).
  Candidate candidate =
      process_candidate(request, combined_alignment(extents), held, options, true);
  if (candidate.unfit) return candidate;
  UnitPlan& plan = candidate.plan;

  // Frames per reslice unit: whole chunks of every source, about the target
  // bytes, enough units for every rank, within the budget.
  std::vector<int64_t> frame_chunks;
  int64_t frame_bytes = 0;
  int64_t frames = 0;
  int64_t source_staging = 0;
  for (size_t s = 0; s < request.sources.size(); ++s) {
    if (!chosen[s]) continue;
    const PlannedSource& source = request.sources[s];
    frame_chunks.push_back(source.frame_chunk);
    frame_bytes = std::max(frame_bytes, source.frame_bytes);
    frames += source.frames;
    source_staging = std::max(source_staging, read_staging_bytes(source.frame_chunk * frame_bytes));
  }
  const int64_t frame_alignment = combined_alignment(frame_chunks);
  const int64_t reslice_held = request.fixed_bytes + source_staging;
  const auto need = [&](int64_t unit_frames) {
    return 2 * unit_frames * frame_bytes + reslice_held;
  };
  int64_t unit_frames = options.reslice_frames;
  if (unit_frames > 0) {
    if (unit_frames % frame_alignment != 0)
      throw Error(fmt::format("a reslice unit of {} frames is not a multiple of the frames' chunk "
                              "extent {}: chunks would be read more than once",
                              unit_frames, frame_alignment));
  } else {
    const int64_t by_bytes =
        std::max<int64_t>(1, options.target_unit_bytes / (frame_alignment * frame_bytes));
    const int64_t by_ranks =
        std::max<int64_t>(1, ceil_div(frames, frame_alignment) / std::max(options.ranks, 1));
    unit_frames = frame_alignment * std::min(by_bytes, by_ranks);
    const int64_t budget = options.memory_bytes;
    if (budget > 0 && need(unit_frames) > budget) {
      const int64_t fitting =
          budget > reslice_held ? (budget - reslice_held) / (2 * frame_bytes) : 0;
      unit_frames = fitting / frame_alignment * frame_alignment;
    }
  }
  if (options.memory_bytes > 0 && (unit_frames < 1 || need(unit_frames) > options.memory_bytes)) {
    const int64_t smallest = std::max(unit_frames, frame_alignment);
    candidate.unfit = does_not_fit(fmt::format(
        "reslicing copies whole frames: a unit of {} frames of {} needs {} per rank, more than the "
        "memory budget of {}",
        smallest, byte_size_text(frame_bytes), byte_size_text(need(smallest)),
        byte_size_text(options.memory_bytes)));
    return candidate;
  }

  std::vector<Unit> units;
  int64_t offset = 0;
  for (size_t s = 0; s < request.sources.size(); ++s) {
    if (!chosen[s]) {
      plan.source_offsets.push_back(-1);
      continue;
    }
    plan.source_offsets.push_back(offset);
    const int64_t source_frames = request.sources[s].frames;
    for (int64_t first = 0; first < source_frames; first += unit_frames)
      units.push_back(
          Unit{offset + first, std::min(unit_frames, source_frames - first), UnitStage::reslice});
    offset += source_frames;
  }
  plan.reslice = true;
  plan.reslice_frames = unit_frames;
  plan.reslice_units = static_cast<int64_t>(units.size());
  // A scratch chunk: one process unit's slices by about kScratchChunkBytes
  // worth of frames (few, large reads, and bounded read staging), as a
  // divisor or a multiple of the reslice unit's frames so that each reslice
  // unit writes whole chunks or whole runs of them.
  const int64_t slice_of_frame = std::max<int64_t>(1, frame_bytes / request.total_slices);
  const int64_t wanted =
      std::clamp<int64_t>(kScratchChunkBytes / (plan.slices_per_unit * slice_of_frame), 1,
                          std::max(frames, int64_t{1}));
  plan.scratch_chunk_frames = wanted >= unit_frames ? wanted / unit_frames * unit_frames
                                                    : unit_frames / ceil_div(unit_frames, wanted);
  units.insert(units.end(), plan.units.begin(), plan.units.end());
  plan.units = std::move(units);
  plan.memory_bytes = std::max(plan.memory_bytes, need(unit_frames));
  return candidate;
}

} // namespace

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

UnitPlan plan_job(const PlanRequest& request, const PlanOptions& options) {
  const bool can_reslice =
      std::any_of(request.inputs.begin(), request.inputs.end(), [&](const PlannedInput& input) {
        return input.source >= 0 &&
               (input.chunk_extent > 1 || options.reslice == ReslicePolicy::always);
      });
  if (options.reslice == ReslicePolicy::always) {
    if (!can_reslice)
      throw Error("reslicing was asked for, but no input can be resliced: only datasets of two "
                  "or more dimensions sliced along another than the first (frames) can be");
    Candidate resliced = reslice_candidate(request, sources_to_reslice(request), options);
    if (resliced.unfit) throw Error(*resliced.unfit);
    resliced.plan.reason = options.reslice_frames > 0 ? "the job's plan, as given, reslices"
                                                      : "reslicing was asked for";
    return resliced.plan;
  }

  // A unit size the chunks do not allow is the user's mistake, unless the
  // chunks call for reslicing anyway (which then cuts units of that size).
  Candidate direct = direct_candidate(request, options);
  std::optional<std::string> refused_size;
  if (direct.unfit && direct.plan.units.empty()) {
    refused_size = direct.unfit;
    PlanOptions natural = options;
    natural.unit_slices = 0;
    direct = direct_candidate(request, natural);
  }
  const auto direct_units = static_cast<int64_t>(direct.plan.units.size());
  const auto read_directly = [&]() -> UnitPlan {
    if (refused_size) throw Error(*refused_size);
    if (direct.unfit) throw Error(*direct.unfit);
    return direct.plan;
  };
  if (options.reslice == ReslicePolicy::never || !can_reslice ||
      (!direct.unfit && balanced(direct.plan, request.total_slices, options.ranks)))
    return read_directly();

  Candidate resliced = reslice_candidate(request, sources_to_reslice(request), options);
  if (!resliced.unfit && (direct.unfit || resliced.plan.process_units() > direct_units)) {
    resliced.plan.reason =
        direct.unfit
            ? fmt::format("reading the frames directly, {}", *direct.unfit)
            : fmt::format("reading directly, the input's chunks (every {} slices) allow "
                          "only {} unit{} of {} slices for {} ranks",
                          direct.plan.alignment, direct_units, direct_units == 1 ? "" : "s",
                          direct.plan.slices_per_unit, std::max(options.ranks, 1));
    return resliced.plan;
  }
  if (direct.unfit)
    throw Error(fmt::format("{}; and reslicing the frames first: {}", *direct.unfit,
                            resliced.unfit.value_or("would not help")));
  return read_directly();
}

std::vector<Unit> static_share(const std::vector<Unit>& units, int rank, int size) {
  const auto count = static_cast<int64_t>(units.size());
  const int64_t begin = count * rank / size;
  const int64_t end = count * (rank + 1) / size;
  return {units.begin() + begin, units.begin() + end};
}

} // namespace h5io
