#pragma once
// Every message of protocol v1 (proto/PROTOCOL.md) as a C++ type, with the
// one parser per endpoint that turns a frame into a message or a
// ProtocolError whose text is fit to send back to the peer, and the encoder
// that turns a message into a frame. Nothing else in h5io reads or writes
// message JSON by hand.

#include "proto/status_messages.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace h5io::proto {

inline constexpr int kProtocolVersion = 1;
// Larger bodies are answered with a rejection naming the size.
inline constexpr size_t kMaxMessageBytes = size_t{1} << 20;
// Sockets drop larger messages unread (ZMQ_MAXMSGSIZE).
inline constexpr int64_t kSocketMaxMessageBytes = int64_t{16} << 20;
// What a status subscriber may send (its subscriptions, topic prefixes such
// as "job."): the PUB socket drops a connection that sends more.
inline constexpr int64_t kMaxSubscriptionBytes = 1024;
inline constexpr size_t kMaxStringBytes = 4096;
inline constexpr size_t kMaxParams = 256;
inline constexpr size_t kMaxUnitsPerMessage = 100000;
inline constexpr int kMaxDepth = 8;
inline constexpr int kMinPriority = -1000;
inline constexpr int kMaxPriority = 1000;

// A message that breaks the protocol. what() says why, for the peer.
class ProtocolError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------- shared

// What a job is: the same fields in a submit and in an assignment.
// One step of a pipeline: a library, its parameters, and whether its
// result is also written into the job's output (the last step's always is).
struct PipelineStep {
  std::string plugin;
  nlohmann::json params = nlohmann::json::object(); // KEY: string|number|bool
  bool save = false;
  bool operator==(const PipelineStep&) const = default;
};

// What a job is. Either one library (`plugin`, with its `params`), or a
// pipeline (`steps`, with `plugin` empty and `params` holding the job's own
// scan.* parameters).
struct JobRequest {
  std::string input;
  std::string plugin;
  std::string output;
  nlohmann::json params = nlohmann::json::object(); // KEY: string|number|bool
  std::vector<PipelineStep> steps;
};

// The most steps a pipeline may have.
inline constexpr size_t kMaxPipelineSteps = 32;

// A pipeline as its file says it: {"steps": [{"plugin", "params"?, "save"?},
// ...], "params"?: {scan.*}}. `context` names it in errors (a file's path).
// Throws ProtocolError for an unknown or misspelt key (with a "did you
// mean"), an empty or overlong list, a bad name or value.
struct PipelineDescription {
  std::vector<PipelineStep> steps;
  nlohmann::json params = nlohmann::json::object();
};
PipelineDescription parse_pipeline(const nlohmann::json& object, const std::string& context);
// What people see for a job: its library, or its steps' ("normalise →
// paganin → tomo_fbp").
std::string job_title(const JobRequest& job);
nlohmann::json pipeline_steps_json(const std::vector<PipelineStep>& steps);

// Both ways. A worker's heartbeat may carry a `probe` number, which the
// master sends straight back in a heartbeat of its own: the group then knows
// the master heard it after the probe left, which is what its lease needs
// (see Assign::group_timeout_ms).
struct Heartbeat {
  std::optional<int64_t> probe;
};
struct Disconnect {};

// ---------------------------------------------------------------- client endpoint

struct SubmitRequest {
  JobRequest job;
  std::optional<std::string> client_ref;
  int priority = 0;
  // Check the job and answer with its plan (`planned`), but run nothing:
  // no job id, no journal record. A dry run takes no client_ref.
  bool dry_run = false;
};
struct StatusRequest {};
struct CancelRequest {
  std::string job;
};
using ClientRequest = std::variant<SubmitRequest, StatusRequest, CancelRequest>;

// Throws ProtocolError (malformed JSON, invalid UTF-8, too big or deep,
// unknown type, missing or mistyped field, unknown field).
ClientRequest parse_client_request(std::string_view frame);
std::string encode(const SubmitRequest& request);
std::string encode(const StatusRequest& request);
std::string encode(const CancelRequest& request);

std::string encode_accepted(const std::string& job);
std::string encode_rejected(const std::string& error);

// A reply to a submit or cancel: the job id, or ProtocolError carrying the
// master's `rejected` text.
std::string parse_accepted(std::string_view frame);

// The answer to a dry run: what the job would be, as the master's checks
// planned it (`h5io run -v` prints the same plan).
struct PlannedStep {
  std::string plugin;
  std::string pattern; // "projections", "sinograms", or a dimension
  std::string fed;     // "file", "memory" or "reslicing scratch"
  bool save = false;
  bool operator==(const PlannedStep&) const = default;
};
struct JobPlan {
  std::vector<PlannedStep> steps;
  int64_t reslice_step = 0; // first step read through the reslicing scratch (from 1); 0: none
  int64_t reslice_units = 0;
  int64_t reslice_frames = 0;
  int64_t units = 0; // processing units
  int64_t slices_per_unit = 0;
  int64_t total_slices = 0;
  int64_t memory_per_rank_bytes = 0;
  std::vector<std::string> summary; // the plan in prose, a line each
  bool operator==(const JobPlan&) const = default;
};
std::string encode_planned(const JobPlan& plan);
// The plan, or ProtocolError carrying the master's `rejected` text.
JobPlan parse_planned(std::string_view frame);

// ---------------------------------------------------------------- status endpoint

// Topics, events, snapshot rows and their parsers and encoders:
// proto/status_messages.hpp (included above).

// ---------------------------------------------------------------- worker endpoint

struct UnitRange {
  int64_t unit = 0; // index in the job's plan
  int64_t first = 0;
  int64_t count = 0;
  bool operator==(const UnitRange&) const = default;
};

// Worker -> master.
struct Ready {
  std::string group;
  std::string host;
  int ranks = 1;
  int credit = 1;
  int heartbeat_ms = 0; // the group's heartbeat interval; 0: not said (the master's applies)
  // Names this run of the group's process: the same on every reconnection,
  // new when the group restarts. Empty: not said (older workers).
  std::string instance{};
};
struct UnitsDone {
  std::string job;
  int64_t lease = 0;
  std::vector<int64_t> units;
};
struct UnitsFailed {
  std::string job;
  int64_t lease = 0;
  std::vector<int64_t> units;
  std::string error;
};
struct JobFinished {
  std::string job;
  int64_t lease = 0;
};
using WorkerMessage =
    std::variant<Ready, Heartbeat, UnitsDone, UnitsFailed, JobFinished, Disconnect>;

// Master -> worker.
struct Assign {
  std::string job;
  int64_t lease = 0;
  JobRequest request;
  int64_t unit_slices = 0;
  bool resume = false;
  std::vector<UnitRange> units;
  // The master forgets the group, and re-leases its units, after this long
  // without a message from it; 0: not said. The group writes only while a
  // probe answered within this time (less a margin) vouches for its lease.
  int64_t group_timeout_ms = 0;
  // Frames per reslice unit when the job's plan starts by reslicing (its
  // first units copy frames into a scratch file); 0: no reslicing.
  int64_t reslice_frames = 0;
};
struct MoreUnits {
  std::string job;
  int64_t lease = 0;
  std::vector<UnitRange> units;
};
struct Finish {
  std::string job;
  int64_t lease = 0;
};
struct Release {
  std::string job;
  int64_t lease = 0;
  std::string reason;
  // The job itself has ended (cancelled or failed), not just this lease:
  // nothing will resume its partial output, so the holder deletes the one
  // it created. Absent (false) from masters before this field existed.
  bool job_ended = false;
};
using MasterMessage = std::variant<Assign, MoreUnits, Finish, Release, Heartbeat, Disconnect>;

WorkerMessage parse_worker_message(std::string_view frame);
MasterMessage parse_master_message(std::string_view frame);
std::string encode(const WorkerMessage& message);
std::string encode(const MasterMessage& message);

// ---------------------------------------------------------------- additions for clients

// The checks every frame passes before its fields are read: at most
// `max_bytes`, valid UTF-8, nested at most kMaxDepth deep (checked on the raw
// text, so a bracket bomb costs nothing), valid JSON, an object. Throws
// ProtocolError.
nlohmann::json parse_frame(std::string_view frame, size_t max_bytes = kMaxMessageBytes);

} // namespace h5io::proto
