#pragma once
// One step of a pipeline as the user wrote it: a library, its parameters,
// and whether its result is kept in the output file too.

#include "common/plugin_host/job_params.hpp"

#include <string>

namespace h5io {

struct StepSpec {
  std::string plugin; // library name
  JobParams params;
  // Also write this step's outputs into the job's output file (the last
  // step's always are).
  bool save = false;
};

} // namespace h5io
