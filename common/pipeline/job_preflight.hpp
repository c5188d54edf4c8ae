#pragma once
// Checking a job before anyone accepts it: what the pipeline would refuse,
// refused early and serially (no MPI needed, nothing written), plus the
// plan of work units the master leases out.

#include "common/pipeline/pipeline.hpp"
#include "common/pipeline/work_plan.hpp"

#include <string>

namespace h5io {

struct PreflightPlan {
  UnitPlan units;
  PlanDescription description; // for people: `h5io submit --dry-run`
};

// Returns the plan of work units, as a group of any size would cut it with
// spec.plan. Throws Error with the same message the pipeline would give: output path
// (directory, not the input, not existing unless spec.overwrite), input file,
// library (loads, ABI, accepts the inputs' shapes and parameters), outputs.
// Works in a process that never initialised MPI. Loads the library and runs
// its init in the calling process.
PreflightPlan preflight_job(const JobSpec& spec);

} // namespace h5io
