#pragma once
// Pipeline files (YAML or JSON) and the step parameters given on a command
// line: what `h5io run --pipeline`, `h5io submit --pipeline` and the
// master's watch rules turn into a job's steps.
//
//   steps:
//     - plugin: normalise
//     - plugin: paganin
//       params: {energy_kev: 25, distance_m: 0.5, pixel_um: 1.6, delta_over_beta: 250}
//       save: true
//     - plugin: tomo_fbp
//       params: {normalise: false}
//   params: {scan.angles: /entry/rotation}     # the job's own (scan.*), optional

#include "common/pipeline/step_spec.hpp"
#include "common/plugin_host/job_params.hpp"
#include "proto/messages.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace h5io {

// Reads and checks a pipeline file: a JSON object, or YAML (a plain scalar
// is typed as YAML 1.2's core schema types it: true/false, numbers, else
// text; a quoted one stays text). Throws Error naming the file and, for
// YAML, the line, or what is wrong with the steps (proto::parse_pipeline).
proto::PipelineDescription read_pipeline_file(const std::filesystem::path& path);

// Applies `--param` entries to a pipeline: STEP.KEY=VALUE sets KEY of step
// STEP (its number from 1, or its library's name when one step has that
// library), replacing the file's value; scan.KEY=VALUE is the job's. Throws
// Error for an entry that names no step, or several.
void apply_step_params(proto::PipelineDescription& pipeline,
                       const std::vector<std::string>& key_values);

// The steps as the pipeline runs them; throws Error naming the step whose
// parameters are malformed.
std::vector<StepSpec> step_specs(const std::vector<proto::PipelineStep>& steps);

} // namespace h5io
