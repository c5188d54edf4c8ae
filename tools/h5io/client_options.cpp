#include "client_options.hpp"

#include "master_connection.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>

namespace h5io::cli {

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_interrupt(int) {
  g_interrupted = 1;
}
} // namespace

std::chrono::milliseconds MasterOptions::timeout_ms() const {
  return std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000.0));
}

std::string MasterOptions::status_endpoint() const {
  return status.empty() ? default_status_endpoint(master) : status;
}

void add_master_options(CLI::App& command, MasterOptions& options) {
  command.add_option("--master,-m", options.master, "The master's client endpoint")
      ->envname("H5IO_MASTER")
      ->capture_default_str();
  command.add_option("--status", options.status,
                     "The master's status endpoint (default: the --master port + 1)");
  command.add_option("--timeout", options.timeout, "Seconds to wait for each reply of the master")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 86400.0));
}

int run_client(const std::function<int()>& body) {
  try {
    return body();
  } catch (const NoReply& e) {
    fmt::print(stderr, "h5io: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "h5io: error: {}\n", e.what());
    return 1;
  }
}

void catch_interrupts() {
  // sigaction without SA_RESTART: a blocking zmq_poll returns EINTR at once.
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupted() {
  return g_interrupted != 0;
}

} // namespace h5io::cli
