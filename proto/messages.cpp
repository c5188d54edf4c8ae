// The client endpoint of protocol v1: parsers are tables of (type, reader),
// encoders build the same fields back; proto/frame.cpp does the checks every
// frame shares, proto/status_messages.cpp the status endpoint.
#include "proto/messages.hpp"

#include "proto/field_reader.hpp"
#include "proto/frame.hpp"
#include "proto/job_request.hpp"

namespace h5io::proto {

namespace {

using detail::FieldReader;
using nlohmann::json;

ClientRequest read_submit(const json& object) {
  const FieldReader fields(
      object, "submit", {"input", "plugin", "steps", "output", "params", "client_ref", "priority"});
  SubmitRequest request;
  request.job = detail::read_job_request(fields);
  request.client_ref = fields.optional_name("client_ref");
  request.priority =
      static_cast<int>(fields.optional_integer("priority", kMinPriority, kMaxPriority).value_or(0));
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

Reply read_rejected(const json& object) {
  return ProtocolError(FieldReader(object, "rejected", {"error"}).text("error"));
}

constexpr detail::MessageParser<Reply> kReplies[] = {{"accepted", read_accepted},
                                                     {"rejected", read_rejected}};

} // namespace

ClientRequest parse_client_request(std::string_view frame) {
  return detail::parse_message(frame, kClientRequests);
}

std::string encode(const SubmitRequest& request) {
  json message = detail::job_request_fields(request.job);
  message["type"] = "submit";
  if (request.client_ref) message["client_ref"] = *request.client_ref;
  message["priority"] = request.priority;
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

} // namespace h5io::proto
