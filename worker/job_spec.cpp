#include "worker/job_spec.hpp"

#include "common/pipeline/pipeline_file.hpp"

namespace h5io::worker {

JobSpec job_spec_for(const proto::Assign& assign,
                     const std::vector<std::filesystem::path>& plugin_dirs) {
  JobSpec spec;
  spec.plugin = assign.request.plugin;
  spec.steps = step_specs(assign.request.steps);
  spec.plugin_dirs = plugin_dirs;
  spec.input = assign.request.input;
  spec.output = assign.request.output;
  spec.params = JobParams::from_json(assign.request.params);
  // The master refuses outputs that exist; one appearing later is not ours
  // to replace.
  spec.overwrite = false;
  spec.resume = assign.resume;
  // The master's plan, exactly: the same units in the same order.
  spec.plan.unit_slices = assign.unit_slices;
  spec.plan.reslice = assign.reslice_frames > 0 ? ReslicePolicy::always : ReslicePolicy::never;
  spec.plan.reslice_frames = assign.reslice_frames;
  spec.job_id = assign.job;
  spec.command_line = "h5io-worker (job " + assign.job + ")";
  return spec;
}

} // namespace h5io::worker
