#pragma once
// Internal to h5io_proto: the fields that say what a job is, shared by a
// client's submit and the master's assign.

#include "proto/field_reader.hpp"
#include "proto/messages.hpp"

#include <fmt/format.h>

namespace h5io::proto::detail {

// A pipeline's steps: an array of {plugin, params?, save?}.
inline std::vector<PipelineStep> read_pipeline_steps(const FieldReader& fields,
                                                     std::string_view key) {
  const nlohmann::json& list = fields.array(key, 0);
  if (list.empty())
    fields.fail(fmt::format("has an empty '{}' list: a pipeline needs at least one step", key));
  if (list.size() > kMaxPipelineSteps)
    fields.fail(fmt::format("field '{}' has {} steps; the limit is {}", key, list.size(),
                            kMaxPipelineSteps));
  std::vector<PipelineStep> steps;
  for (size_t s = 0; s < list.size(); ++s) {
    const nlohmann::json& entry = list[s];
    const std::string where = fmt::format("{}: {}[{}] (step {})", fields.context(), key, s, s + 1);
    if (!entry.is_object())
      throw ProtocolError(fmt::format("{} must be an object {{plugin, params, save}}", where));
    const FieldReader step(entry, where, {"plugin", "params", "save"}, false);
    steps.push_back({step.name("plugin"), step.params("params"),
                     step.optional_boolean("save").value_or(false)});
  }
  return steps;
}

inline JobRequest read_job_request(const FieldReader& fields) {
  JobRequest job;
  job.input = fields.name("input");
  job.output = fields.name("output");
  job.params = fields.params("params");
  // One library, or a pipeline of them: exactly one of the two.
  const std::optional<std::string> plugin = fields.optional_name("plugin");
  if (fields.has("steps")) {
    if (plugin)
      fields.fail("has both 'plugin' and 'steps'; a job is one library (plugin) or a "
                  "pipeline (steps), not both");
    job.steps = read_pipeline_steps(fields, "steps");
  } else if (plugin) {
    job.plugin = *plugin;
  } else {
    job.plugin = fields.name("plugin"); // throws: the field is missing
  }
  return job;
}

inline nlohmann::json job_request_fields(const JobRequest& job) {
  nlohmann::json fields = {{"input", job.input}, {"output", job.output}, {"params", job.params}};
  if (job.steps.empty())
    fields["plugin"] = job.plugin;
  else
    fields["steps"] = pipeline_steps_json(job.steps);
  return fields;
}

} // namespace h5io::proto::detail
