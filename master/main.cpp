// h5io-master: the long-running service. See master/README.md.

#include "common/hdf5/hdf5_handle.hpp"
#include "common/util/error.hpp"
#include "master/config.hpp"
#include "master/master_server.hpp"
#include "master/systemd_notifier.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>

namespace {

std::atomic<bool> stop_requested{false};
std::atomic<bool> reload_requested{false};

extern "C" void request_stop(int) {
  stop_requested.store(true);
}

extern "C" void request_reload(int) {
  reload_requested.store(true);
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app("h5io-master: accepts jobs, leases their work units to MPI worker groups over "
               "ZeroMQ, journals them and publishes status");
  std::string config_file;
  bool verbose = false;
  app.add_option("--config,-c", config_file, "Configuration file (JSON)")->required();
  app.add_flag("--verbose,-v", verbose, "Log debugging detail");
  CLI11_PARSE(app, argc, argv);

  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e h5io-master[%l]: %v");
  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  h5io::hdf5::silence_error_printing();

  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // SIGHUP (systemctl reload): read the authorised keys again.
  struct sigaction reload {};
  reload.sa_handler = request_reload;
  sigemptyset(&reload.sa_mask);
  sigaction(SIGHUP, &reload, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // Under systemd (Type=notify) the unit is "active" only after READY=1:
  // the journal is replayed and every endpoint bound by then.
  h5io::master::SystemdNotifier systemd;
  try {
    systemd.status("replaying the journal and binding endpoints");
    h5io::master::MasterServer server(h5io::master::load_config(config_file));
    systemd.ready(server.status_line());
    bool reloading = false;
    server.run(stop_requested, [&] {
      if (reload_requested.exchange(false)) {
        if (!reloading) systemd.reloading();
        reloading = true;
        server.reload_keys();
      }
      // The keys are read off the loop: READY=1 once they are in force.
      if (reloading && !server.reloading_keys()) {
        reloading = false;
        systemd.ready(server.status_line());
      }
      systemd.watchdog();
      systemd.status(server.status_line());
    });
    systemd.stopping();
    return 0;
  } catch (const h5io::Error& e) {
    spdlog::critical("{}", e.what());
    systemd.status(std::string("failed: ") + e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::critical("unexpected error: {}", e.what());
    systemd.status(std::string("failed: ") + e.what());
    return 1;
  }
}
