// h5io-worker: one MPI job is one worker group. Start it as
//   mpirun -np N h5io-worker --master tcp://HOST:5557
// Rank 0 talks to the master; every rank runs the job's pipeline.
#include "worker/master_link.hpp"
#include "worker/worker_group.hpp"

#include "common/hdf5/hdf5_handle.hpp"
#include "common/mpi/mpi_group.hpp"
#include "common/plugin_host/plugin_host.hpp"
#include "common/util/job_log.hpp"
#include "proto/curve_keys.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <optional>
#include <random>
#include <string>
#include <unistd.h>

namespace {

struct Options {
  std::string master = "tcp://127.0.0.1:5557";
  std::vector<std::string> plugin_dirs;
  std::string name;
  int credit = 0;
  int heartbeat_ms = 1000;
  int liveness = 3;
  std::string key;        // the group's CURVE secret key file
  std::string master_key; // the master's CURVE public key file
  bool verbose = false;
};

// Set by SIGTERM and SIGINT: the group stops at the next round.
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void request_stop(int) {
  g_stop.store(true);
}

void install_stop_handlers() {
  struct sigaction action = {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  // A second signal takes the default action: a stuck group can still be
  // killed the ordinary way.
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

std::string host_name() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return host;
}

int serve(const Options& options, int& argc, char**& argv) {
  // A file-size limit (a quota, `ulimit -f`) would otherwise kill the rank
  // with SIGXFSZ mid-write; ignored, the write fails with EFBIG, the job
  // fails with "File too large" and the group lives on.
  std::signal(SIGXFSZ, SIG_IGN);
  h5io::MpiSession mpi(argc, argv);
  h5io::Group group;
  h5io::hdf5::silence_error_printing();
  // %J: "[jNNNNNN] " while a job runs (common/util/job_log.hpp), as the master's
  // lines about a job begin.
  h5io::log::set_pattern(group.is_root()
                             ? "h5io-worker[%l]: %J%v"
                             : "h5io-worker[%l] rank " + std::to_string(group.rank()) + ": %J%v");
  spdlog::set_level(options.verbose
                        ? spdlog::level::debug
                        : (group.is_root() ? spdlog::level::info : spdlog::level::warn));
  install_stop_handlers();
  // What admins check first when a group is slow or a write hangs.
  spdlog::info("{}", mpi.settings_text());

  h5io::worker::GroupSettings settings;
  const std::vector<std::filesystem::path> dirs(options.plugin_dirs.begin(),
                                                options.plugin_dirs.end());
  settings.plugin_dirs = h5io::plugin_search_path(dirs);
  // Two units per rank are always in flight (one computing, one being
  // written and reported); a third keeps a rank busy while the report
  // travels and the master tops the lease up.
  settings.credit = options.credit > 0 ? options.credit : 3 * group.size();

  // Rank 0 alone talks to the master, so only its host needs the key files;
  // a bad one stops every rank, with rank 0's message.
  std::optional<h5io::proto::CurveClientKeys> curve;
  try {
    h5io::collectively(group, [&] {
      if (group.is_root() && !options.key.empty())
        curve = h5io::proto::read_client_keys(options.key, options.master_key);
    });
  } catch (const std::exception& e) {
    if (group.is_root()) spdlog::critical("{}", e.what());
    return 1;
  }

  std::optional<h5io::worker::MasterLink> link;
  if (group.is_root()) {
    h5io::worker::LinkOptions link_options;
    link_options.endpoint = options.master;
    link_options.ready.host = host_name();
    link_options.ready.group = options.name.empty()
                                   ? "w-" + link_options.ready.host + "-" + std::to_string(getpid())
                                   : options.name;
    link_options.ready.ranks = group.size();
    link_options.ready.credit = settings.credit;
    link_options.heartbeat = std::chrono::milliseconds(options.heartbeat_ms);
    link_options.ready.heartbeat_ms = options.heartbeat_ms;
    // One per run of this process, the same on every reconnection: the
    // master then knows a ready on a new connection comes from the group it
    // holds on the old one, not from a restarted group.
    link_options.ready.instance =
        fmt::format("{}-{}-{:016x}", link_options.ready.host, getpid(),
                    (static_cast<uint64_t>(std::random_device{}()) << 32) | std::random_device{}());
    link_options.liveness = options.liveness;
    if (curve)
      spdlog::info("CURVE: this group's public key is {} ({}); the master's is {} ({})",
                   curve->own.public_key, options.key, curve->server_key, options.master_key);
    link_options.curve = std::move(curve);
    link.emplace(std::move(link_options));
  }
  try {
    h5io::worker::WorkerGroup(group, link ? &*link : nullptr, std::move(settings), g_stop).serve();
  } catch (const std::exception& e) {
    // Job errors are handled inside; this is a fault the other ranks may not
    // share, and they must not be left waiting for this one.
    spdlog::critical("{}", e.what());
    MPI_Abort(group.comm(), 1);
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"h5io worker group: processes the jobs an h5io master leases to it, on every "
               "rank of this MPI job (start with mpirun -np N)"};
  app.add_option("--master", options.master, "The master's worker endpoint")->capture_default_str();
  app.add_option("--plugin-dir", options.plugin_dirs,
                 "Directory searched for libh5io_NAME.so before $H5IO_PLUGIN_PATH and the "
                 "installed plugins (repeatable)");
  app.add_option("--name", options.name, "Group name the master shows (default w-HOST-PID)");
  app.add_option("--credit", options.credit,
                 "Units the master may lease ahead (default 3 per rank)")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--heartbeat-ms", options.heartbeat_ms, "Heartbeat period")
      ->capture_default_str()
      ->check(CLI::Range(10, 600000));
  app.add_option("--liveness", options.liveness,
                 "Heartbeat periods of silence after which the master counts as dead")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  CLI::Option* key =
      app.add_option("--key", options.key,
                     "This group's CURVE secret key file (NAME.key_secret from h5io keygen; its "
                     "NAME.key must be in the master's authorized_workers_dir). Read on rank 0's "
                     "host only");
  CLI::Option* master_key =
      app.add_option("--master-key", options.master_key,
                     "The master's CURVE public key file (the NAME.key of its secret_key_file)");
  key->needs(master_key);
  master_key->needs(key);
  app.add_flag("--verbose,-v", options.verbose, "Print debugging detail");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return serve(options, argc, argv);
}
