// The worker endpoint of protocol v1, both directions: tables of
// (type, reader) for parsing, one to_json per message for encoding.
#include "proto/messages.hpp"

#include "proto/field_reader.hpp"
#include "proto/frame.hpp"
#include "proto/job_request.hpp"

#include <fmt/format.h>

#include <climits>

namespace h5io::proto {

namespace {

using detail::FieldReader;
using nlohmann::json;

constexpr int64_t kMaxRanks = int64_t{1} << 20;

// Every message that names a job names it under a lease.
struct LeaseFields {
  std::string job;
  int64_t lease;
};
LeaseFields read_lease(const FieldReader& fields) {
  return {fields.name("job"), fields.integer("lease", 0, INT64_MAX)};
}

std::vector<UnitRange> read_ranges(const FieldReader& fields, size_t min_size) {
  const json& elements = fields.array("units", min_size);
  std::vector<UnitRange> units;
  units.reserve(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) {
    const FieldReader unit(elements[i], fmt::format("{}: units[{}]", fields.context(), i),
                           {"unit", "first", "count"}, false);
    units.push_back({unit.integer("unit", 0, INT64_MAX), unit.integer("first", 0, INT64_MAX),
                     unit.integer("count", 1, INT64_MAX)});
  }
  return units;
}

// ---- worker -> master

WorkerMessage read_ready(const json& object) {
  // The version first: a newer worker may send fields this master does not
  // know, and "unknown field" would hide the real problem.
  const int64_t version = FieldReader(object, "ready").integer("protocol", 0, INT_MAX);
  if (version != kProtocolVersion)
    throw ProtocolError(fmt::format("ready: protocol version {} is not supported (this master "
                                    "speaks version {}; run matching h5io versions)",
                                    version, kProtocolVersion));
  const FieldReader fields(
      object, "ready",
      {"protocol", "group", "host", "ranks", "credit", "heartbeat_ms", "instance"});
  Ready ready;
  ready.group = fields.name("group");
  ready.host = fields.name("host");
  ready.ranks = static_cast<int>(fields.integer("ranks", 1, kMaxRanks));
  ready.credit = static_cast<int>(fields.integer("credit", 1, kMaxUnitsPerMessage));
  ready.heartbeat_ms =
      static_cast<int>(fields.optional_integer("heartbeat_ms", 10, 600000).value_or(0));
  ready.instance = fields.optional_name("instance").value_or("");
  return ready;
}

template <class Variant> Variant read_heartbeat(const json& object) {
  const FieldReader fields(object, "heartbeat", {"probe"});
  return Heartbeat{fields.optional_integer("probe", 0, INT64_MAX)};
}

template <class Message, class Variant> Variant read_empty(const json& object) {
  const FieldReader fields(object, object.at("type").get<std::string>(), {});
  return Message{};
}

WorkerMessage read_done(const json& object) {
  const FieldReader fields(object, "done", {"job", "lease", "units"});
  auto [job, lease] = read_lease(fields);
  return UnitsDone{std::move(job), lease, fields.indices("units", 1)};
}

WorkerMessage read_failed(const json& object) {
  const FieldReader fields(object, "failed", {"job", "lease", "units", "error"});
  auto [job, lease] = read_lease(fields);
  // No units is allowed: a job may fail before any unit ran (opening it).
  auto units = fields.indices("units", 0);
  return UnitsFailed{std::move(job), lease, std::move(units), fields.text("error")};
}

WorkerMessage read_finished(const json& object) {
  auto [job, lease] = read_lease(FieldReader(object, "finished", {"job", "lease"}));
  return JobFinished{std::move(job), lease};
}

constexpr detail::MessageParser<WorkerMessage> kWorkerMessages[] = {
    {"ready", read_ready},       {"heartbeat", read_heartbeat<WorkerMessage>},
    {"done", read_done},         {"failed", read_failed},
    {"finished", read_finished}, {"disconnect", read_empty<Disconnect, WorkerMessage>}};

// ---- master -> worker

MasterMessage read_assign(const json& object) {
  const FieldReader fields(object, "assign",
                           {"job", "lease", "input", "output", "plugin", "steps", "params",
                            "unit_slices", "reslice_frames", "resume", "units",
                            "group_timeout_ms"});
  auto [job, lease] = read_lease(fields);
  Assign assign;
  assign.job = std::move(job);
  assign.lease = lease;
  assign.request = detail::read_job_request(fields);
  assign.unit_slices = fields.integer("unit_slices", 1, INT64_MAX);
  assign.reslice_frames = fields.optional_integer("reslice_frames", 1, INT64_MAX).value_or(0);
  assign.resume = fields.boolean("resume");
  // May be empty: the group opens the job and gets units as credit allows.
  assign.units = read_ranges(fields, 0);
  assign.group_timeout_ms = fields.optional_integer("group_timeout_ms", 1, INT64_MAX).value_or(0);
  return assign;
}

MasterMessage read_units(const json& object) {
  const FieldReader fields(object, "units", {"job", "lease", "units"});
  auto [job, lease] = read_lease(fields);
  return MoreUnits{std::move(job), lease, read_ranges(fields, 1)};
}

MasterMessage read_finish(const json& object) {
  auto [job, lease] = read_lease(FieldReader(object, "finish", {"job", "lease"}));
  return Finish{std::move(job), lease};
}

MasterMessage read_release(const json& object) {
  const FieldReader fields(object, "release", {"job", "lease", "reason", "job_ended"});
  auto [job, lease] = read_lease(fields);
  return Release{std::move(job), lease, fields.text("reason"),
                 fields.optional_boolean("job_ended").value_or(false)};
}

constexpr detail::MessageParser<MasterMessage> kMasterMessages[] = {
    {"assign", read_assign},
    {"units", read_units},
    {"finish", read_finish},
    {"release", read_release},
    {"heartbeat", read_heartbeat<MasterMessage>},
    {"disconnect", read_empty<Disconnect, MasterMessage>}};

// ---- encoding: one to_json per message

json leased(const char* type, const std::string& job, int64_t lease) {
  return {{"type", type}, {"job", job}, {"lease", lease}};
}

json ranges(const std::vector<UnitRange>& units) {
  json array = json::array();
  for (const UnitRange& u : units)
    array.push_back({{"unit", u.unit}, {"first", u.first}, {"count", u.count}});
  return array;
}

json to_json(const Heartbeat& m) {
  json message = {{"type", "heartbeat"}};
  if (m.probe) message["probe"] = *m.probe;
  return message;
}
json to_json(const Disconnect&) {
  return {{"type", "disconnect"}};
}
json to_json(const Ready& m) {
  json message = {{"type", "ready"},  {"protocol", kProtocolVersion},
                  {"group", m.group}, {"host", m.host},
                  {"ranks", m.ranks}, {"credit", m.credit}};
  if (m.heartbeat_ms > 0) message["heartbeat_ms"] = m.heartbeat_ms;
  if (!m.instance.empty()) message["instance"] = m.instance;
  return message;
}
json to_json(const UnitsDone& m) {
  json message = leased("done", m.job, m.lease);
  message["units"] = m.units;
  return message;
}
json to_json(const UnitsFailed& m) {
  json message = leased("failed", m.job, m.lease);
  message["units"] = m.units;
  message["error"] = detail::clip_text(m.error);
  return message;
}
json to_json(const JobFinished& m) {
  return leased("finished", m.job, m.lease);
}
json to_json(const Assign& m) {
  json message = leased("assign", m.job, m.lease);
  message.update(detail::job_request_fields(m.request));
  message["unit_slices"] = m.unit_slices;
  if (m.reslice_frames > 0) message["reslice_frames"] = m.reslice_frames;
  message["resume"] = m.resume;
  message["units"] = ranges(m.units);
  if (m.group_timeout_ms > 0) message["group_timeout_ms"] = m.group_timeout_ms;
  return message;
}
json to_json(const MoreUnits& m) {
  json message = leased("units", m.job, m.lease);
  message["units"] = ranges(m.units);
  return message;
}
json to_json(const Finish& m) {
  return leased("finish", m.job, m.lease);
}
json to_json(const Release& m) {
  json message = leased("release", m.job, m.lease);
  message["reason"] = detail::clip_text(m.reason);
  message["job_ended"] = m.job_ended;
  return message;
}

template <class Variant> std::string encode_variant(const Variant& message) {
  return detail::to_frame(std::visit([](const auto& m) { return to_json(m); }, message));
}

} // namespace

WorkerMessage parse_worker_message(std::string_view frame) {
  return detail::parse_message(frame, kWorkerMessages);
}

MasterMessage parse_master_message(std::string_view frame) {
  return detail::parse_message(frame, kMasterMessages);
}

std::string encode(const WorkerMessage& message) {
  return encode_variant(message);
}
std::string encode(const MasterMessage& message) {
  return encode_variant(message);
}

} // namespace h5io::proto
