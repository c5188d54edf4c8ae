// A pipeline's steps, as submit and assign carry them and as a pipeline file
// holds them: one strict reader for all three.
#include "proto/field_reader.hpp"
#include "proto/job_request.hpp"
#include "proto/messages.hpp"

namespace h5io::proto {

PipelineDescription parse_pipeline(const nlohmann::json& object, const std::string& context) {
  if (!object.is_object())
    throw ProtocolError(fmt::format("{}: a pipeline is a mapping with a 'steps' list", context));
  const detail::FieldReader fields(object, context, {"steps", "params"}, false);
  if (!fields.has("steps")) fields.fail("has no 'steps': list the libraries to run, in order");
  PipelineDescription pipeline;
  pipeline.steps = detail::read_pipeline_steps(fields, "steps");
  pipeline.params = fields.params("params");
  return pipeline;
}

std::string job_title(const JobRequest& job) {
  if (job.steps.empty()) return job.plugin;
  std::string title;
  for (const PipelineStep& step : job.steps) title += (title.empty() ? "" : " → ") + step.plugin;
  return title;
}

nlohmann::json pipeline_steps_json(const std::vector<PipelineStep>& steps) {
  nlohmann::json list = nlohmann::json::array();
  for (const PipelineStep& step : steps) {
    nlohmann::json entry = {{"plugin", step.plugin}, {"params", step.params}};
    if (step.save) entry["save"] = true;
    list.push_back(std::move(entry));
  }
  return list;
}

} // namespace h5io::proto
