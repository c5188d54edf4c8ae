#include "master/config.hpp"

#include "common/pipeline/memory_budget.hpp"
#include "common/pipeline/pipeline_file.hpp"
#include "common/util/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <set>
#include <thread>

namespace fs = std::filesystem;

namespace h5io::master {

namespace {

// Reads the fields of one JSON object, remembering which it knew, so that
// whatever is left over can be refused by name.
class Fields {
public:
  Fields(const nlohmann::json& object, std::string where)
      : object_(object), where_(std::move(where)) {
    if (!object_.is_object()) fail("", "must be a JSON object");
  }

  template <class T> void read(const char* key, T& value) {
    known_.insert(key);
    const auto it = object_.find(key);
    if (it == object_.end()) return;
    try {
      value = it->template get<T>();
    } catch (const nlohmann::json::exception&) {
      fail(key, fmt::format("has the wrong type ({})", it->type_name()));
    }
  }
  template <class Duration> void read_ms(const char* key, Duration& value, int64_t minimum) {
    int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(value).count();
    read(key, ms);
    if (ms < minimum) fail(key, fmt::format("must be at least {} ms", minimum));
    value = std::chrono::milliseconds(ms);
  }
  void read_paths(const char* key, std::vector<fs::path>& paths) {
    std::vector<std::string> texts;
    read(key, texts);
    for (const std::string& text : texts) paths.emplace_back(text);
  }
  const nlohmann::json* child(const char* key) {
    known_.insert(key);
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(fmt::format("{}{}{} {}", where_, key.empty() ? "" : ": '",
                            key.empty() ? "" : key + "'", what));
  }
  void refuse_unknown() const {
    for (const auto& [key, value] : object_.items())
      if (!known_.contains(key))
        throw Error(
            fmt::format("{}: unknown key '{}' (known: {})", where_, key, fmt::join(known_, ", ")));
  }

private:
  const nlohmann::json& object_;
  std::string where_;
  std::set<std::string> known_;
};

// "HOST:PORT": a host (an IPv4 address or a name; "[...]" for IPv6) and a
// port from 1 to 65535.
bool is_host_port(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  const std::string port = text.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  const int number = std::stoi(port);
  const std::string host = text.substr(0, colon);
  const bool bracketed = host.front() == '[' && host.back() == ']';
  return number >= 1 && number <= 65535 &&
         (bracketed || host.find_first_of(":/ ") == std::string::npos);
}

FinishedRule parse_finished(const nlohmann::json& document, const std::string& where) {
  FinishedRule rule;
  Fields fields(document, where);
  std::string kind = "renamed";
  fields.read("when", kind);
  fields.read("marker", rule.marker);
  fields.read_ms("quiet_ms", rule.quiet, 100);
  fields.refuse_unknown();
  if (kind == "renamed") {
    rule.kind = FinishedRule::Kind::renamed;
  } else if (kind == "marker") {
    rule.kind = FinishedRule::Kind::marker;
    if (rule.marker.empty() || rule.marker.find('/') != std::string::npos)
      fields.fail("marker", "must be a file-name suffix such as \".done\"");
  } else if (kind == "quiet") {
    rule.kind = FinishedRule::Kind::quiet;
  } else {
    fields.fail("when", fmt::format("is '{}'; expected renamed, marker or quiet", kind));
  }
  return rule;
}

WatchRule parse_watch_rule(const nlohmann::json& document, const std::string& where) {
  WatchRule rule;
  Fields fields(document, where);
  std::string dir, output_dir;
  fields.read("dir", dir);
  fields.read("pattern", rule.pattern);
  fields.read("plugin", rule.plugin);
  std::string pipeline;
  fields.read("pipeline", pipeline);
  fields.read("params", rule.params);
  fields.read("output_dir", output_dir);
  fields.read("output_suffix", rule.output_suffix);
  fields.read("priority", rule.priority);
  if (const nlohmann::json* finished = fields.child("finished"))
    rule.finished = parse_finished(*finished, where + ".finished");
  fields.refuse_unknown();
  if (dir.empty()) fields.fail("dir", "is required");
  if (rule.plugin.empty() == pipeline.empty())
    fields.fail("plugin", "or 'pipeline' (a pipeline file), one of the two, is required");
  if (!rule.params.is_object()) fields.fail("params", "must be an object of KEY: value");
  if (!pipeline.empty()) {
    rule.pipeline = fs::absolute(pipeline).lexically_normal();
    proto::PipelineDescription description;
    try {
      description = read_pipeline_file(rule.pipeline);
    } catch (const Error& e) {
      fields.fail("pipeline", e.what());
    }
    rule.steps = description.steps;
    for (const auto& [key, value] : rule.params.items()) description.params[key] = value;
    rule.params = description.params;
  }
  if (output_dir.empty()) fields.fail("output_dir", "is required");
  if (rule.output_suffix.empty() || rule.output_suffix.find('/') != std::string::npos)
    fields.fail("output_suffix", "must be a file-name suffix such as \"_recon.h5\"");
  rule.dir = fs::absolute(dir).lexically_normal();
  rule.output_dir = fs::absolute(output_dir).lexically_normal();
  return rule;
}

CurveConfig parse_curve(const nlohmann::json& document, const std::string& where) {
  Fields fields(document, where);
  std::string secret, clients, workers;
  fields.read("secret_key_file", secret);
  fields.read("authorized_clients_dir", clients);
  fields.read("authorized_workers_dir", workers);
  fields.refuse_unknown();
  const auto required = [&](const char* key, const std::string& value, const char* what) {
    if (value.empty()) fields.fail(key, fmt::format("is required ({})", what));
    return fs::absolute(value).lexically_normal();
  };
  CurveConfig curve;
  curve.secret_key_file =
      required("secret_key_file", secret, "the master's NAME.key_secret, from h5io keygen");
  curve.authorized_clients_dir = required("authorized_clients_dir", clients,
                                          "a directory of the NAME.key files of allowed clients");
  curve.authorized_workers_dir =
      required("authorized_workers_dir", workers,
               "a directory of the NAME.key files of allowed worker groups");
  for (const auto& [key, dir] :
       {std::pair{"authorized_clients_dir", &curve.authorized_clients_dir},
        std::pair{"authorized_workers_dir", &curve.authorized_workers_dir}}) {
    std::error_code ec;
    if (!fs::is_directory(*dir, ec))
      fields.fail(key, fmt::format("is '{}', which is not a directory{}", dir->string(),
                                   fs::exists(*dir, ec) ? "" : " (it does not exist)"));
  }
  if (curve.authorized_clients_dir == curve.authorized_workers_dir)
    fields.fail("authorized_workers_dir",
                "must differ from authorized_clients_dir: a client's key must not let it "
                "register as a worker group");
  return curve;
}

} // namespace

MasterConfig parse_config(const nlohmann::json& document, const std::string& origin) {
  MasterConfig config;
  Fields fields(document, origin);
  std::string journal;
  fields.read("client_endpoint", config.client_endpoint);
  fields.read("status_endpoint", config.status_endpoint);
  fields.read("worker_endpoint", config.worker_endpoint);
  fields.read_paths("plugin_dirs", config.plugin_dirs);
  fields.read_paths("input_roots", config.input_roots);
  fields.read_paths("output_roots", config.output_roots);
  fields.read("journal_dir", journal);
  SchedulerSettings& scheduler = config.scheduler;
  fields.read_ms("heartbeat_ms", scheduler.heartbeat, 10);
  fields.read("heartbeat_liveness", scheduler.heartbeat_liveness);
  fields.read_ms("lease_ms", scheduler.lease, 100);
  fields.read_ms("progress_interval_ms", scheduler.progress_interval, 0);
  fields.read_ms("rescan_ms", config.rescan, 100);
  fields.read("max_attempts", scheduler.max_attempts);
  fields.read("unit_mb", config.unit_mb);
  fields.read("min_units", config.min_units);
  config.memory_mb =
      default_memory_budget(static_cast<int>(std::thread::hardware_concurrency())) >> 20;
  fields.read("memory_mb", config.memory_mb);
  fields.read("keep_finished_jobs", scheduler.keep_finished_jobs);
  double client_ref_days = scheduler.client_ref_horizon_s / 86400;
  fields.read("client_ref_days", client_ref_days);
  scheduler.client_ref_horizon_s = client_ref_days * 86400;
  fields.read_ms("check_timeout_ms", config.check_timeout, 100);
  fields.read("max_pending_checks", config.max_pending_checks);
  fields.read("metrics_address", config.metrics_address);
  if (const nlohmann::json* watch = fields.child("watch")) {
    if (!watch->is_array()) fields.fail("watch", "must be a list of rules");
    for (size_t i = 0; i < watch->size(); ++i)
      config.watch.push_back(
          parse_watch_rule((*watch)[i], fmt::format("{}: watch[{}]", origin, i)));
  }
  if (const nlohmann::json* curve = fields.child("curve"))
    config.curve = parse_curve(*curve, origin + ": curve");
  fields.refuse_unknown();
  if (journal.empty()) fields.fail("journal_dir", "is required (where accepted jobs are recorded)");
  config.journal_dir = fs::absolute(journal).lexically_normal();
  if (scheduler.heartbeat_liveness < 2) fields.fail("heartbeat_liveness", "must be at least 2");
  if (scheduler.max_attempts < 1) fields.fail("max_attempts", "must be at least 1");
  if (config.max_pending_checks < 1 || config.max_pending_checks > 1024)
    fields.fail("max_pending_checks",
                "must be 1 to 1024 (each pending check is a child process of the master)");
  if (!(client_ref_days >= 0) || client_ref_days > 36500)
    fields.fail("client_ref_days", "must be 0 to 36500 (days a client_ref outlives its job in "
                                   "the table)");
  if (config.unit_mb < 1) fields.fail("unit_mb", "must be at least 1");
  if (config.min_units < 1) fields.fail("min_units", "must be at least 1");
  if (config.memory_mb < 16) fields.fail("memory_mb", "must be at least 16 (MiB per worker rank)");
  if (!config.metrics_address.empty() && !is_host_port(config.metrics_address))
    fields.fail("metrics_address",
                fmt::format("is '{}'; expected HOST:PORT with a port from 1 to 65535, such as "
                            "\"127.0.0.1:9464\" (leave it out for no metrics endpoint)",
                            config.metrics_address));
  for (const std::string* endpoint :
       {&config.client_endpoint, &config.status_endpoint, &config.worker_endpoint})
    if (endpoint->empty()) fields.fail("", "endpoints must not be empty");
  return config;
}

MasterConfig load_config(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(fmt::format("cannot read the configuration file '{}'", file.string()));
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(in, nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(
        fmt::format("configuration file '{}' is not valid JSON: {}", file.string(), e.what()));
  }
  return parse_config(document, file.string());
}

} // namespace h5io::master
