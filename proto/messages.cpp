// The client and status endpoints of protocol v1: parsers are tables of
// (type, reader), encoders build the same fields back; proto/frame.cpp does
// the checks every frame shares.
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
  const FieldReader fields(object, "submit",
                           {"input", "plugin", "steps", "output", "params", "client_ref", "priority"});
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

// What every object in a snapshot's `jobs` or `workers` must have for a
// client to show it; the rest is kept as sent.
const json& checked_rows(const FieldReader& snapshot, std::string_view key,
                         std::initializer_list<std::string_view> required) {
  const json& rows = snapshot.array(key, 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    const FieldReader row(rows[i], fmt::format("{}: {}[{}]", snapshot.context(), key, i));
    for (const std::string_view field : required) row.name(field);
  }
  return rows;
}

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

std::string encode_event(json fields, uint64_t seq, double time, const std::string& epoch) {
  fields["seq"] = seq;
  fields["time"] = time;
  fields["epoch"] = epoch;
  return detail::to_frame(fields);
}

std::string encode(const Snapshot& snapshot) {
  return encode_event(
      {{"type", "snapshot"}, {"jobs", snapshot.jobs}, {"workers", snapshot.workers}}, snapshot.seq,
      snapshot.time, snapshot.epoch);
}

Snapshot parse_snapshot(std::string_view frame) {
  const json message = parse_frame(frame, kSocketMaxMessageBytes);
  const size_t type = detail::message_type_index(message, {"snapshot", "rejected"});
  if (type == 1) throw std::get<ProtocolError>(read_rejected(message));
  const FieldReader fields(message, "snapshot", {"seq", "time", "epoch", "jobs", "workers"});
  Snapshot snapshot;
  snapshot.seq = static_cast<uint64_t>(fields.integer("seq", 0, INT64_MAX));
  snapshot.time = fields.number("time");
  snapshot.epoch = fields.name("epoch");
  snapshot.jobs = checked_rows(fields, "jobs", {"job", "state"});
  snapshot.workers = checked_rows(fields, "workers", {"group"});
  return snapshot;
}

Event parse_event(std::string_view topic, std::string_view frame) {
  if (topic.empty() || topic.size() > kMaxStringBytes)
    throw ProtocolError(
        fmt::format("event topic of {} bytes (expected 1 to {})", topic.size(), kMaxStringBytes));
  Event event;
  event.topic = std::string(topic);
  event.fields = parse_frame(frame, kSocketMaxMessageBytes);
  const FieldReader fields(event.fields, fmt::format("event '{}'", event.topic));
  event.seq = static_cast<uint64_t>(fields.integer("seq", 0, INT64_MAX));
  event.time = fields.number("time");
  event.epoch = fields.name("epoch");
  for (const char* key : {"seq", "time", "epoch"}) event.fields.erase(key);
  return event;
}

} // namespace h5io::proto
