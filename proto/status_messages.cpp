// The status endpoint of protocol v1: one to_json and one reader per event
// topic and snapshot row. Readers use FieldReader's tolerant form (fields a
// later master adds are ignored), but every field they know is checked.
#include "proto/status_messages.hpp"

#include "proto/field_reader.hpp"
#include "proto/frame.hpp"
#include "proto/messages.hpp"

#include <fmt/format.h>

#include <climits>
#include <iterator>
#include <type_traits>

namespace h5io::proto {

namespace {

using detail::FieldReader;
using nlohmann::json;

int64_t count(const FieldReader& fields, std::string_view key) {
  return fields.integer(key, 0, INT64_MAX);
}
int64_t optional_count(const FieldReader& fields, std::string_view key) {
  return fields.optional_integer(key, 0, INT64_MAX).value_or(0);
}
int priority(const FieldReader& fields) {
  return static_cast<int>(fields.integer("priority", kMinPriority, kMaxPriority));
}
int ranks(const FieldReader& fields) {
  return static_cast<int>(fields.integer("ranks", 0, INT_MAX));
}

// The two fields of a resliced job's progress, in an event or a row: sent
// only when the job reslices.
void put_reslice(json& fields, int64_t done, int64_t units) {
  if (units <= 0) return;
  fields["reslice_done"] = done;
  fields["reslice_units"] = units;
}

// ---- events: to_json

json to_json(const JobQueued& e) {
  json fields = {{"job", e.job},       {"input", e.input},       {"output", e.output},
                 {"plugin", e.plugin}, {"priority", e.priority}, {"total", e.total}};
  if (e.submitted_by) fields["submitted_by"] = *e.submitted_by;
  return fields;
}
json to_json(const JobStarted& e) {
  return {{"job", e.job}, {"group", e.group}};
}
json to_json(const JobProgress& e) {
  json fields = {{"job", e.job},
                 {"done", e.done},
                 {"total", e.total},
                 {"rate", e.rate},
                 {"eta", e.eta ? json(*e.eta) : json(nullptr)}};
  put_reslice(fields, e.reslice_done, e.reslice_units);
  return fields;
}
json to_json(const JobRequeued& e) {
  return {{"job", e.job}, {"group", e.group}, {"reason", detail::clip_text(e.reason)}};
}
json to_json(const JobCompleted& e) {
  return {{"job", e.job}, {"output", e.output}, {"wall", e.wall}};
}
json to_json(const JobFailed& e) {
  return {{"job", e.job}, {"error", detail::clip_text(e.error)}};
}
json to_json(const JobCancelled& e) {
  return {{"job", e.job}};
}
json to_json(const WorkerJoined& e) {
  return {{"group", e.group}, {"host", e.host}, {"ranks", e.ranks}};
}
json to_json(const WorkerLost& e) {
  return {{"group", e.group}, {"reason", detail::clip_text(e.reason)}};
}
json to_json(const MasterStarted& e) {
  return {{"version", e.version}, {"jobs_resumed", e.jobs_resumed}};
}
json to_json(const MasterHeartbeat& e) {
  return {{"jobs_queued", e.jobs_queued}, {"jobs_running", e.jobs_running}, {"workers", e.workers}};
}
json to_json(const OtherEvent& e) {
  return e.fields;
}

// ---- events: readers, one per topic

StatusEvent read_queued(const FieldReader& f) {
  return JobQueued{f.name("job"),
                   f.name("input"),
                   f.name("output"),
                   f.name("plugin"),
                   priority(f),
                   count(f, "total"),
                   f.optional_name("submitted_by")};
}
StatusEvent read_started(const FieldReader& f) {
  return JobStarted{f.name("job"), f.name("group")};
}
StatusEvent read_progress(const FieldReader& f) {
  return JobProgress{f.name("job"),
                     count(f, "done"),
                     count(f, "total"),
                     f.number("rate"),
                     f.nullable_number("eta"),
                     optional_count(f, "reslice_done"),
                     optional_count(f, "reslice_units")};
}
StatusEvent read_requeued(const FieldReader& f) {
  return JobRequeued{f.name("job"), f.name("group"), f.text("reason")};
}
StatusEvent read_completed(const FieldReader& f) {
  return JobCompleted{f.name("job"), f.name("output"), f.number("wall")};
}
StatusEvent read_failed(const FieldReader& f) {
  return JobFailed{f.name("job"), f.text("error")};
}
StatusEvent read_cancelled(const FieldReader& f) {
  return JobCancelled{f.name("job")};
}
StatusEvent read_joined(const FieldReader& f) {
  return WorkerJoined{f.name("group"), f.name("host"), ranks(f)};
}
StatusEvent read_lost(const FieldReader& f) {
  return WorkerLost{f.name("group"), f.text("reason")};
}
StatusEvent read_started_master(const FieldReader& f) {
  return MasterStarted{f.name("version"), count(f, "jobs_resumed")};
}
StatusEvent read_heartbeat(const FieldReader& f) {
  return MasterHeartbeat{count(f, "jobs_queued"), count(f, "jobs_running"), count(f, "workers")};
}

struct EventReader {
  const char* topic;
  StatusEvent (*read)(const FieldReader& fields);
};

// In the order of StatusEvent's alternatives (checked below), so that an
// event's index names its topic.
constexpr EventReader kEvents[] = {
    {topic::job_queued, read_queued},         {topic::job_started, read_started},
    {topic::job_progress, read_progress},     {topic::job_requeued, read_requeued},
    {topic::job_completed, read_completed},   {topic::job_failed, read_failed},
    {topic::job_cancelled, read_cancelled},   {topic::worker_joined, read_joined},
    {topic::worker_lost, read_lost},          {topic::master_started, read_started_master},
    {topic::master_heartbeat, read_heartbeat}};
static_assert(std::size(kEvents) + 1 == std::variant_size_v<StatusEvent>,
              "one reader per topic; OtherEvent, last, has none");
static_assert(
    std::is_same_v<std::variant_alternative_t<std::size(kEvents), StatusEvent>, OtherEvent>);

// ---- snapshot rows

json to_json(const JobRow& row) {
  json fields = {{"job", row.job},
                 {"state", row.state},
                 {"priority", row.priority},
                 {"done", row.done},
                 {"total", row.total},
                 {"units_done", row.units_done},
                 {"units_total", row.units_total},
                 {"submitted", row.submitted}};
  // Never empty from a master; a row a client built from events may not
  // know them yet (names must not be empty on the wire).
  for (const auto& [key, value] :
       {std::pair{"input", &row.input}, {"output", &row.output}, {"plugin", &row.plugin}})
    if (!value->empty()) fields[key] = *value;
  if (row.reslice_units > 0) {
    fields["reslice_units"] = row.reslice_units;
    fields["reslice_done"] = row.reslice_done;
  }
  if (row.client_ref) fields["client_ref"] = *row.client_ref;
  if (row.submitted_by) fields["submitted_by"] = *row.submitted_by;
  if (row.started) fields["started"] = *row.started;
  if (row.group) fields["group"] = *row.group;
  if (row.finished) fields["finished"] = *row.finished;
  if (row.wall) fields["wall"] = *row.wall;
  if (row.error) fields["error"] = detail::clip_text(*row.error);
  return fields;
}

json to_json(const WorkerRow& row) {
  json fields = {{"group", row.group},
                 {"ranks", row.ranks},
                 {"units_leased", row.units_leased},
                 {"last_seen", row.last_seen}};
  if (!row.host.empty()) fields["host"] = row.host;
  if (row.job) fields["job"] = *row.job;
  return fields;
}

// Only `job` and `state` are required (PROTOCOL.md); the rest is what the
// master sends, read when present.
JobRow read_job_row(const FieldReader& f) {
  JobRow row;
  row.job = f.name("job");
  row.state = f.name("state");
  row.input = f.optional_name("input").value_or("");
  row.output = f.optional_name("output").value_or("");
  row.plugin = f.optional_name("plugin").value_or("");
  row.priority =
      static_cast<int>(f.optional_integer("priority", kMinPriority, kMaxPriority).value_or(0));
  row.done = optional_count(f, "done");
  row.total = optional_count(f, "total");
  row.units_done = optional_count(f, "units_done");
  row.units_total = optional_count(f, "units_total");
  row.reslice_units = optional_count(f, "reslice_units");
  row.reslice_done = optional_count(f, "reslice_done");
  row.submitted = f.nullable_number("submitted").value_or(0.0);
  row.client_ref = f.optional_name("client_ref");
  row.submitted_by = f.optional_name("submitted_by");
  row.group = f.nullable_name("group");
  row.started = f.nullable_number("started");
  row.finished = f.nullable_number("finished");
  row.wall = f.nullable_number("wall");
  row.error = f.optional_text("error");
  return row;
}

WorkerRow read_worker_row(const FieldReader& f) {
  WorkerRow row;
  row.group = f.name("group");
  row.host = f.optional_name("host").value_or("");
  row.ranks = static_cast<int>(f.optional_integer("ranks", 0, INT_MAX).value_or(0));
  row.job = f.nullable_name("job");
  row.units_leased = optional_count(f, "units_leased");
  row.last_seen = f.nullable_number("last_seen").value_or(0.0);
  return row;
}

template <class Row>
std::vector<Row> read_rows(const FieldReader& snapshot, std::string_view key,
                           Row (*read)(const FieldReader&)) {
  const json& elements = snapshot.array(key, 0);
  std::vector<Row> rows;
  rows.reserve(elements.size());
  for (size_t i = 0; i < elements.size(); ++i)
    rows.push_back(
        read(FieldReader(elements[i], fmt::format("{}: {}[{}]", snapshot.context(), key, i))));
  return rows;
}

template <class Row> json rows_json(const std::vector<Row>& rows) {
  json array = json::array();
  for (const Row& row : rows) array.push_back(to_json(row));
  return array;
}

json with_stamp(json fields, uint64_t seq, double time, const std::string& epoch) {
  fields["seq"] = seq;
  fields["time"] = time;
  fields["epoch"] = epoch;
  return fields;
}

} // namespace

std::string_view topic_of(const StatusEvent& event) {
  if (const auto* other = std::get_if<OtherEvent>(&event)) return other->topic;
  return kEvents[event.index()].topic;
}

const std::string& job_of(const StatusEvent& event) {
  static const std::string none;
  return std::visit(
      [](const auto& e) -> const std::string& {
        if constexpr (requires { e.job; })
          return e.job;
        else
          return none;
      },
      event);
}

json event_fields(const StatusEvent& event) {
  return std::visit([](const auto& e) { return to_json(e); }, event);
}

std::string encode_event(const StatusEvent& event, uint64_t seq, double time,
                         const std::string& epoch) {
  return detail::to_frame(with_stamp(event_fields(event), seq, time, epoch));
}

Event parse_event(std::string_view topic, std::string_view frame) {
  if (topic.empty() || topic.size() > kMaxStringBytes)
    throw ProtocolError(
        fmt::format("event topic of {} bytes (expected 1 to {})", topic.size(), kMaxStringBytes));
  json object = parse_frame(frame, kSocketMaxMessageBytes);
  const FieldReader fields(object, fmt::format("event '{}'", topic));
  Event event;
  event.seq = static_cast<uint64_t>(fields.integer("seq", 0, INT64_MAX));
  event.time = fields.number("time");
  event.epoch = fields.name("epoch");
  for (const EventReader& reader : kEvents)
    if (topic == reader.topic) {
      event.body = reader.read(fields);
      return event;
    }
  for (const char* key : {"seq", "time", "epoch"}) object.erase(key);
  event.body = OtherEvent{std::string(topic), std::move(object)};
  return event;
}

std::string encode(const Snapshot& snapshot) {
  return detail::to_frame(with_stamp({{"type", "snapshot"},
                                      {"jobs", rows_json(snapshot.jobs)},
                                      {"workers", rows_json(snapshot.workers)}},
                                     snapshot.seq, snapshot.time, snapshot.epoch));
}

Snapshot parse_snapshot(std::string_view frame) {
  const json message = parse_frame(frame, kSocketMaxMessageBytes);
  const size_t type = detail::message_type_index(message, {"snapshot", "rejected"});
  if (type == 1) throw ProtocolError(FieldReader(message, "rejected", {"error"}).text("error"));
  const FieldReader fields(message, "snapshot", {"seq", "time", "epoch", "jobs", "workers"});
  Snapshot snapshot;
  snapshot.seq = static_cast<uint64_t>(fields.integer("seq", 0, INT64_MAX));
  snapshot.time = fields.number("time");
  snapshot.epoch = fields.name("epoch");
  snapshot.jobs = read_rows(fields, "jobs", read_job_row);
  snapshot.workers = read_rows(fields, "workers", read_worker_row);
  return snapshot;
}

} // namespace h5io::proto
