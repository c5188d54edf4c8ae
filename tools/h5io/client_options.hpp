#pragma once
// What `h5io submit` and `h5io status` share: the options that say where
// the master is, error reporting with the clients' exit statuses, and
// Ctrl-C that ends a follow loop cleanly.

#include "proto/curve_keys.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace h5io::cli {

struct MasterOptions {
  std::string master = "tcp://127.0.0.1:5555";
  std::string status; // empty: default_status_endpoint(master)
  double timeout = 10.0;
  std::string key;        // this client's CURVE secret key file
  std::string master_key; // the master's CURVE public key file

  std::chrono::milliseconds timeout_ms() const;
  std::string status_endpoint() const;
  // The CURVE keys read from `key` and `master_key`, or none when neither
  // is given. Throws Error when only one is, or a file is not a key file.
  std::optional<proto::CurveClientKeys> curve() const;
};

// --master (or $H5IO_MASTER), --status, --timeout, --key (or $H5IO_KEY),
// --master-key (or $H5IO_MASTER_KEY).
void add_master_options(CLI::App& command, MasterOptions& options);

// Runs a client command: exceptions become "h5io: error: TEXT" on stderr and
// exit 2 when the master did not answer (NoReply), 1 otherwise.
int run_client(const std::function<int()>& body);

// After catch_interrupts(), Ctrl-C (SIGINT) or SIGTERM sets interrupted()
// instead of ending the process, and interrupts a wait for messages.
void catch_interrupts();
bool interrupted();

} // namespace h5io::cli
