#include "common/pipeline/plan_description.hpp"

#include "common/pipeline/space_reservation.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace h5io {

namespace {

std::string plural(int64_t count, const char* noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

// "step 2 runs" or "steps 2 to 4 run"
std::string steps_doing(size_t first, size_t last, const char* verb) {
  return first == last ? fmt::format("step {} {}s", first, verb)
                       : fmt::format("steps {} to {} {}", first, last, verb);
}

} // namespace

std::vector<std::string> plan_lines(const PlanDescription& plan) {
  std::vector<std::string> lines;
  const size_t steps = plan.steps.size();
  if (steps > 1) {
    std::vector<std::string> described;
    for (size_t s = 0; s < steps; ++s)
      described.push_back(fmt::format("{} {} ({}{})", s + 1, plan.steps[s].plugin,
                                      plan.steps[s].pattern,
                                      // (the last step's result is always written)
                                      plan.steps[s].saved && s + 1 < steps ? ", saved" : ""));
    lines.push_back(
        fmt::format("pipeline: {}; {}", fmt::join(described, " → "),
                    plan.between_steps_bytes > 0
                        ? fmt::format("chained in memory, {} per unit between steps",
                                      byte_size_text(plan.between_steps_bytes))
                        : std::string("no two steps of one pattern follow each other")));
  }
  if (plan.reslice_step > 1)
    lines.push_back(
        fmt::format("pipeline: {} on {} of {} frames, the result written into the job's "
                    "reslicing scratch chunked for the other pattern; then {} it",
                    steps_doing(1, static_cast<size_t>(plan.reslice_step) - 1, "run"),
                    plural(plan.reslice_units, "unit"), plan.reslice_frames,
                    steps_doing(static_cast<size_t>(plan.reslice_step), steps, "read")));
  else if (plan.reslice_step == 1)
    lines.push_back(fmt::format("reslicing first: {}; {} of {} frames copied into the job's "
                                "reslicing scratch, then read from it by slices",
                                plan.reslice_reason, plural(plan.reslice_units, "unit"),
                                plan.reslice_frames));
  lines.push_back(fmt::format("plan: {} of {} slices ({} in all), about {} per rank",
                              plural(plan.units, "unit"), plan.slices_per_unit, plan.total_slices,
                              byte_size_text(plan.memory_per_rank_bytes)));
  return lines;
}

} // namespace h5io
