// The client endpoint of protocol v1: parsers are tables of (type, reader),
// encoders build the same fields back; proto/frame.cpp does the checks every
// frame shares, proto/status_messages.cpp the status endpoint.
#include "proto/messages.hpp"

#include "proto/field_reader.hpp"
#include "proto/frame.hpp"
#include "proto/job_request.hpp"

#include <fmt/format.h>

namespace h5io::proto {

namespace {

using detail::FieldReader;
using nlohmann::json;

ClientRequest read_submit(const json& object) {
  const FieldReader fields(
      object, "submit",
      {"input", "plugin", "steps", "output", "params", "client_ref", "priority", "dry_run"});
  SubmitRequest request;
  request.job = detail::read_job_request(fields);
  request.client_ref = fields.optional_name("client_ref");
  request.priority =
      static_cast<int>(fields.optional_integer("priority", kMinPriority, kMaxPriority).value_or(0));
  request.dry_run = fields.optional_boolean("dry_run").value_or(false);
  if (request.dry_run && request.client_ref)
    fields.fail("has both 'dry_run' and 'client_ref'; a dry run starts no job, so there is "
                "nothing for a client_ref to name: leave it out");
  return request;
}

ClientRequest read_status(const json& object) {
  const FieldReader fields(object, "status", {});
  return StatusRequest{};
}

ClientRequest read_cancel(const json& object) {
  const FieldReader fields(object, "cancel", {"job"});
  return CancelRequest{fields.name("job")};
}

constexpr detail::MessageParser<ClientRequest> kClientRequests[] = {
    {"submit", read_submit}, {"status", read_status}, {"cancel", read_cancel}};

// The two replies to a submit or cancel: the job id, or the master's text.
using Reply = std::variant<std::string, ProtocolError>;

Reply read_accepted(const json& object) {
  return FieldReader(object, "accepted", {"job"}).name("job");
}

// A refusal, as whichever reply the request expects.
template <class AnyReply> AnyReply read_rejected(const json& object) {
  return ProtocolError(FieldReader(object, "rejected", {"error"}).text("error"));
}

constexpr detail::MessageParser<Reply> kReplies[] = {{"accepted", read_accepted},
                                                     {"rejected", read_rejected<Reply>}};

// The two replies to a dry run: the plan, or the master's text. The plan is
// read tolerantly (fields added later break no client).
using PlanReply = std::variant<JobPlan, ProtocolError>;

constexpr int64_t kMaxCount = int64_t{1} << 62;

PlanReply read_planned(const json& object) {
  const FieldReader fields(object, "planned");
  JobPlan plan;
  const json& steps = fields.array("steps", 1);
  for (size_t s = 0; s < steps.size(); ++s) {
    const std::string where = fmt::format("planned: steps[{}]", s);
    if (!steps[s].is_object()) throw ProtocolError(where + " must be an object");
    const FieldReader step(steps[s], where);
    plan.steps.push_back(
        {step.name("plugin"), step.name("pattern"), step.name("fed"), step.boolean("save")});
  }
  plan.reslice_step = fields.integer("reslice_step", 0, kMaxPipelineSteps);
  plan.reslice_units = fields.integer("reslice_units", 0, kMaxCount);
  plan.reslice_frames = fields.integer("reslice_frames", 0, kMaxCount);
  plan.units = fields.integer("units", 0, kMaxCount);
  plan.slices_per_unit = fields.integer("slices_per_unit", 0, kMaxCount);
  plan.total_slices = fields.integer("total_slices", 0, kMaxCount);
  plan.memory_per_rank_bytes = fields.integer("memory_per_rank_bytes", 0, kMaxCount);
  for (const json& line : fields.array("summary", 0)) {
    if (!line.is_string()) throw ProtocolError("planned: summary must be an array of strings");
    plan.summary.push_back(line.get<std::string>());
  }
  return plan;
}

constexpr detail::MessageParser<PlanReply> kPlanReplies[] = {
    {"planned", read_planned}, {"rejected", read_rejected<PlanReply>}};

} // namespace

ClientRequest parse_client_request(std::string_view frame) {
  return detail::parse_message(frame, kClientRequests);
}

std::string encode(const SubmitRequest& request) {
  json message = detail::job_request_fields(request.job);
  message["type"] = "submit";
  if (request.client_ref) message["client_ref"] = *request.client_ref;
  message["priority"] = request.priority;
  if (request.dry_run) message["dry_run"] = true;
  return detail::to_frame(message);
}

std::string encode(const StatusRequest&) {
  return detail::to_frame({{"type", "status"}});
}

std::string encode(const CancelRequest& request) {
  return detail::to_frame({{"type", "cancel"}, {"job", request.job}});
}

std::string encode_accepted(const std::string& job) {
  return detail::to_frame({{"type", "accepted"}, {"job", job}});
}

std::string encode_rejected(const std::string& error) {
  return detail::to_frame({{"type", "rejected"}, {"error", detail::clip_text(error)}});
}

std::string parse_accepted(std::string_view frame) {
  Reply reply = detail::parse_message(frame, kReplies);
  if (auto* rejected = std::get_if<ProtocolError>(&reply)) throw *rejected;
  return std::get<std::string>(std::move(reply));
}

std::string encode_planned(const JobPlan& plan) {
  json steps = json::array();
  for (const PlannedStep& step : plan.steps)
    steps.push_back({{"plugin", step.plugin},
                     {"pattern", step.pattern},
                     {"fed", step.fed},
                     {"save", step.save}});
  json summary = json::array();
  for (const std::string& line : plan.summary) summary.push_back(detail::clip_text(line));
  return detail::to_frame({{"type", "planned"},
                           {"steps", steps},
                           {"reslice_step", plan.reslice_step},
                           {"reslice_units", plan.reslice_units},
                           {"reslice_frames", plan.reslice_frames},
                           {"units", plan.units},
                           {"slices_per_unit", plan.slices_per_unit},
                           {"total_slices", plan.total_slices},
                           {"memory_per_rank_bytes", plan.memory_per_rank_bytes},
                           {"summary", summary}});
}

JobPlan parse_planned(std::string_view frame) {
  PlanReply reply = detail::parse_message(frame, kPlanReplies);
  if (auto* rejected = std::get_if<ProtocolError>(&reply)) throw *rejected;
  return std::get<JobPlan>(std::move(reply));
}

} // namespace h5io::proto
