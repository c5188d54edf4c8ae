#pragma once
// A job's plan as people read it: its steps and how each is fed, where it
// reslices, its units and the memory each rank holds. `h5io run -v` logs
// these lines; the master sends the same plan back for `h5io submit
// --dry-run`, so both say the same thing in the same words.

#include <cstdint>
#include <string>
#include <vector>

namespace h5io {

struct StepPlan {
  std::string plugin;
  std::string pattern; // "projections", "sinograms", or a dimension of a shape
  // How its sliced data reaches it: "file" (the input file), "memory" (the
  // previous step's output, unit by unit) or "reslicing scratch".
  std::string fed;
  bool saved = false; // written into the output (the last step's always is)
};

struct PlanDescription {
  std::vector<StepPlan> steps;
  // The first step that reads through the reslicing scratch (counted from
  // 1): a pipeline's change of pattern, or 1 when a single library's frames
  // are resliced first. 0: no reslicing.
  int64_t reslice_step = 0;
  std::string reslice_reason; // why a single library's input is resliced
  int64_t reslice_units = 0;
  int64_t reslice_frames = 0; // per reslice unit
  int64_t units = 0;          // processing units (after any reslice units)
  int64_t slices_per_unit = 0;
  int64_t total_slices = 0;
  int64_t memory_per_rank_bytes = 0;
  int64_t between_steps_bytes = 0; // per unit, handed from step to step in memory
};

// The plan in a few lines of prose, first the steps (for a pipeline), then
// the reslicing, then the units and memory.
std::vector<std::string> plan_lines(const PlanDescription& plan);

} // namespace h5io
