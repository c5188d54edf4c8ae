// h5io keygen: a CURVE key pair for the service (PROTOCOL.md section 4).
#include "client_options.hpp"
#include "commands.hpp"

#include "proto/curve_keys.hpp"

#include <fmt/format.h>

#include <memory>

namespace h5io::cli {

namespace {

struct KeygenOptions {
  std::string name;
  std::string dir = ".";
  bool force = false;
};

int keygen(const KeygenOptions& options) {
  const proto::WrittenKeyPair written =
      proto::write_key_pair(options.dir, options.name, options.force);
  fmt::print("wrote the CURVE key pair '{}' (public key {})\n", options.name,
             written.keys.public_key);
  fmt::print("  {}\n"
             "      public: copy it to the master's host, into authorized_clients_dir for a\n"
             "      client or authorized_workers_dir for a worker group; if this is the\n"
             "      master's own pair, clients and worker groups get it as --master-key\n",
             written.public_file.string());
  fmt::print("  {}\n"
             "      secret (mode 0600): keep it here; give it with --key (h5io submit/status,\n"
             "      $H5IO_KEY; h5io-worker), or as the master's curve.secret_key_file\n",
             written.secret_file.string());
  return 0;
}

} // namespace

Command add_keygen_command(CLI::App& app) {
  auto options = std::make_shared<KeygenOptions>();
  CLI::App* cmd = app.add_subcommand(
      "keygen", "Write a CURVE key pair, NAME.key (public) and NAME.key_secret, for the h5io "
                "service (the ZeroMQ certificate format of CZMQ and pyzmq)");
  cmd->add_option("name", options->name,
                  "Whose keys: a user (alice), a worker group (gpu), the master (master)")
      ->required();
  cmd->add_option("--dir,-d", options->dir,
                  "Directory for the two files (created, mode 0700, if missing)")
      ->capture_default_str();
  cmd->add_flag("--force", options->force,
                "Replace an existing key pair of that name (whoever holds the old one is then "
                "refused)");
  return [options] { return run_client([&] { return keygen(*options); }); };
}

} // namespace h5io::cli
