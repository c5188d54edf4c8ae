#pragma once
// The status endpoint of protocol v1 (PROTOCOL.md section 3) as C++ types:
// one struct per event topic, the rows of a snapshot, and the parsers and
// encoders that turn them into frames and back. The master publishes only
// what these encoders write; clients read only what these parsers return.
//
// Parsing is strict about the fields it knows (type, range, size) and
// tolerant of fields and topics it does not: a later master may add both,
// and an older client must go on working.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace h5io::proto {

namespace topic {
inline constexpr const char* job_queued = "job.queued";
inline constexpr const char* job_started = "job.started";
inline constexpr const char* job_progress = "job.progress";
inline constexpr const char* job_requeued = "job.requeued";
inline constexpr const char* job_completed = "job.completed";
inline constexpr const char* job_failed = "job.failed";
inline constexpr const char* job_cancelled = "job.cancelled";
inline constexpr const char* worker_joined = "worker.joined";
inline constexpr const char* worker_lost = "worker.lost";
inline constexpr const char* master_started = "master.started";
inline constexpr const char* master_heartbeat = "master.heartbeat";
} // namespace topic

// Job states as they appear in snapshots.
namespace state {
inline constexpr const char* queued = "queued";
inline constexpr const char* running = "running";
inline constexpr const char* completed = "completed";
inline constexpr const char* failed = "failed";
inline constexpr const char* cancelled = "cancelled";
} // namespace state

// ---------------------------------------------------------------- events, one per topic

struct JobQueued {
  std::string job;
  std::string input;
  std::string output;
  std::string plugin;
  int priority = 0;
  int64_t total = 0; // slices
  std::optional<std::string> submitted_by{};
  bool operator==(const JobQueued&) const = default;
};
struct JobStarted {
  std::string job;
  std::string group;
  bool operator==(const JobStarted&) const = default;
};
struct JobProgress {
  std::string job;
  int64_t done = 0; // slices
  int64_t total = 0;
  double rate = 0.0;           // slices/s since the lease began
  std::optional<double> eta{}; // seconds; null on the wire when the rate is 0
  int64_t reslice_done = 0;    // both sent only for a resliced job
  int64_t reslice_units = 0;   // (reslice_units > 0)
  bool operator==(const JobProgress&) const = default;
};
struct JobRequeued {
  std::string job;
  std::string group; // the group that lost the job
  std::string reason;
  bool operator==(const JobRequeued&) const = default;
};
struct JobCompleted {
  std::string job;
  std::string output;
  double wall = 0.0; // seconds from submission
  bool operator==(const JobCompleted&) const = default;
};
struct JobFailed {
  std::string job;
  std::string error;
  bool operator==(const JobFailed&) const = default;
};
struct JobCancelled {
  std::string job;
  bool operator==(const JobCancelled&) const = default;
};
struct WorkerJoined {
  std::string group;
  std::string host;
  int ranks = 1;
  bool operator==(const WorkerJoined&) const = default;
};
struct WorkerLost {
  std::string group;
  std::string reason;
  bool operator==(const WorkerLost&) const = default;
};
struct MasterStarted {
  std::string version;
  int64_t jobs_resumed = 0;
  bool operator==(const MasterStarted&) const = default;
};
struct MasterHeartbeat {
  int64_t jobs_queued = 0;
  int64_t jobs_running = 0;
  int64_t workers = 0; // groups connected
  bool operator==(const MasterHeartbeat&) const = default;
};
// A topic this client does not know (a later master's): its fields as sent.
struct OtherEvent {
  std::string topic;
  nlohmann::json fields = nlohmann::json::object();
  bool operator==(const OtherEvent&) const = default;
};

using StatusEvent = std::variant<JobQueued, JobStarted, JobProgress, JobRequeued, JobCompleted,
                                 JobFailed, JobCancelled, WorkerJoined, WorkerLost, MasterStarted,
                                 MasterHeartbeat, OtherEvent>;

// The topic an event is published under.
std::string_view topic_of(const StatusEvent& event);
// The job a job.* event is about; "" for the others.
const std::string& job_of(const StatusEvent& event);
// The event's fields as on the wire, without seq, time and epoch (for
// clients that print events).
nlohmann::json event_fields(const StatusEvent& event);
// The JSON frame of a status event: its fields plus seq, time and epoch.
std::string encode_event(const StatusEvent& event, uint64_t seq, double time,
                         const std::string& epoch);

// One status event as received (both frames).
struct Event {
  uint64_t seq = 0;
  double time = 0.0;
  std::string epoch;
  StatusEvent body;
  std::string_view topic() const { return topic_of(body); }
};
// Throws ProtocolError: an empty or long topic, a malformed frame, a known
// field of the wrong type. Unknown fields are ignored; an unknown topic
// gives an OtherEvent.
Event parse_event(std::string_view topic, std::string_view frame);

// ---------------------------------------------------------------- snapshot rows

// A job in the master's table. Only `job` and `state` are required on the
// wire; the master sends the rest as below.
struct JobRow {
  std::string job{};
  std::string state{}; // a proto::state name
  std::string input{};
  std::string output{};
  std::string plugin{};
  int priority = 0;
  int64_t done = 0; // slices
  int64_t total = 0;
  int64_t units_done = 0;
  int64_t units_total = 0;
  int64_t reslice_units = 0; // both sent only for a resliced job
  int64_t reslice_done = 0;  // (reslice_units > 0)
  double submitted = 0.0;    // Unix seconds
  std::optional<std::string> client_ref{};
  std::optional<std::string> submitted_by{};
  std::optional<std::string> group{}; // while a group holds its lease
  std::optional<double> started{};
  std::optional<double> finished{};   // ended jobs
  std::optional<double> wall{};       // ended jobs: seconds from submission
  std::optional<std::string> error{}; // failed jobs
  bool operator==(const JobRow&) const = default;
};

// A worker group connected to the master.
struct WorkerRow {
  std::string group{};
  std::string host{};
  int ranks = 0;
  std::optional<std::string> job{}; // the job it holds a lease of; null or absent: idle
  int64_t units_leased = 0;
  double last_seen = 0.0; // Unix seconds
  bool operator==(const WorkerRow&) const = default;
};

// The reply to a status request. A snapshot may exceed kMaxMessageBytes
// (long job lists), so clients accept up to kSocketMaxMessageBytes.
struct Snapshot {
  uint64_t seq = 0;
  double time = 0.0;
  std::string epoch;
  std::vector<JobRow> jobs{};
  std::vector<WorkerRow> workers{};
  bool operator==(const Snapshot&) const = default;
};
std::string encode(const Snapshot& snapshot);
// Throws ProtocolError: a `rejected` reply's text, or what is malformed.
Snapshot parse_snapshot(std::string_view frame);

} // namespace h5io::proto
