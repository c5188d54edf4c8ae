#include "client_options.hpp"

#include "master_connection.hpp"

#include "common/util/error.hpp"

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

std::optional<proto::CurveClientKeys> MasterOptions::curve() const {
  if (key.empty() && master_key.empty()) return std::nullopt;
  if (key.empty() || master_key.empty())
    throw Error(fmt::format("{} given without {}: CURVE needs this client's secret key file "
                            "(--key or $H5IO_KEY) and the master's public key file (--master-key "
                            "or $H5IO_MASTER_KEY)",
                            key.empty() ? "--master-key" : "--key",
                            key.empty() ? "--key" : "--master-key"));
  return proto::read_client_keys(key, master_key);
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
  command
      .add_option("--key", options.key,
                  "This client's CURVE secret key file (NAME.key_secret from h5io keygen), for a "
                  "master that requires CURVE")
      ->envname("H5IO_KEY");
  command.add_option("--master-key", options.master_key, "The master's CURVE public key file")
      ->envname("H5IO_MASTER_KEY");
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
