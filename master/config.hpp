#pragma once
// The master's configuration file (JSON): endpoints, where libraries, inputs
// and outputs may be, the journal, timing of heartbeats and leases, and the
// scan watcher's rules. Unknown keys are refused so a typo never silently
// falls back to a default.

#include "master/scheduler_settings.hpp"
#include "proto/messages.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace h5io::master {

// When a file in a watched directory counts as a finished scan.
struct FinishedRule {
  enum class Kind { renamed, marker, quiet };
  Kind kind = Kind::renamed;
  std::string marker;                    // kind marker: a sibling "<file><marker>"
  std::chrono::milliseconds quiet{5000}; // kind quiet: unchanged this long
};

struct WatchRule {
  std::filesystem::path dir;
  std::string pattern = "*.nxs"; // fnmatch(3) on the file name
  std::string plugin;
  // Or a pipeline file (read when the configuration is): its steps, with
  // `params` the job's own (scan.*), added to the file's.
  std::filesystem::path pipeline;
  std::vector<proto::PipelineStep> steps;
  nlohmann::json params = nlohmann::json::object();
  std::filesystem::path output_dir;
  std::string output_suffix = "_recon.h5"; // <output_dir>/<stem><suffix>
  int priority = 0;
  FinishedRule finished;
};

// CURVE authentication (PROTOCOL.md section 4): the master's secret key and
// the public keys (NAME.key files) allowed on each endpoint.
struct CurveConfig {
  std::filesystem::path secret_key_file;
  std::filesystem::path authorized_clients_dir; // the client and status endpoints
  std::filesystem::path authorized_workers_dir; // the worker endpoint
};

struct MasterConfig {
  std::string client_endpoint = "tcp://127.0.0.1:5555";
  std::string status_endpoint = "tcp://127.0.0.1:5556";
  std::string worker_endpoint = "tcp://127.0.0.1:5557";
  std::vector<std::filesystem::path> plugin_dirs; // before $H5IO_PLUGIN_PATH and the installed ones
  std::vector<std::filesystem::path> input_roots; // empty: anywhere (a warning says so)
  std::vector<std::filesystem::path> output_roots; // empty: anywhere (a warning says so)
  std::filesystem::path journal_dir;
  // Heartbeats, leases, progress, attempts, the jobs and client_refs kept
  // (heartbeat_ms, heartbeat_liveness, lease_ms, progress_interval_ms,
  // max_attempts, keep_finished_jobs, client_ref_days).
  SchedulerSettings scheduler;
  std::chrono::milliseconds rescan{10000};
  int64_t unit_mb = 64;
  int min_units = 8; // small jobs are still cut into this many units (or one per chunk)
  // Memory per worker rank for a job's unit buffers: units are cut to fit,
  // and a job that cannot fit is rejected with the numbers. Default: half
  // of this machine's memory shared among its cores (a guess at one rank
  // per core on nodes like this one; set it for the worker nodes).
  int64_t memory_mb = 0; // 0 until parse_config fills in the default
  // Longest a submission's check may take (the library's h5io_init runs in
  // a child process, which is killed after this).
  std::chrono::milliseconds check_timeout{60000};
  // Checks run concurrently with the event loop, each in its own child
  // process; beyond this many at once a submit is refused "busy, retry".
  size_t max_pending_checks = 32;
  // Where /metrics is served for Prometheus, "HOST:PORT" (e.g.
  // "127.0.0.1:9464"); empty: no metrics endpoint.
  std::string metrics_address;
  std::vector<WatchRule> watch;
  std::optional<CurveConfig> curve; // none: no authentication, as before
};

// Throws h5io::Error naming the file and the offending key.
MasterConfig load_config(const std::filesystem::path& file);
MasterConfig parse_config(const nlohmann::json& document, const std::string& origin);

} // namespace h5io::master
