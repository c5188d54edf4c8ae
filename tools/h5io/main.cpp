// h5io: command-line entry point.
#include "commands.hpp"

#include "common/util/version.hpp"

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  CLI::App app{"h5io: run slice-by-slice processing libraries over HDF5 data in parallel"};
  app.set_version_flag("--version", std::string(h5io::version()));
  app.require_subcommand(1);
  const h5io::cli::Command run = h5io::cli::add_run_command(app, argc, argv);
  const h5io::cli::Command example = h5io::cli::add_example_command(app);
  const h5io::cli::Command phantom = h5io::cli::add_phantom_command(app);
  const h5io::cli::Command submit = h5io::cli::add_submit_command(app);
  const h5io::cli::Command status = h5io::cli::add_status_command(app);
  const h5io::cli::Command preview = h5io::cli::add_preview_command(app);
  const h5io::cli::Command inspect = h5io::cli::add_inspect_command(app);
  const h5io::cli::Command keygen = h5io::cli::add_keygen_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (!h5io::cli::primary_process()) return e.get_exit_code() == 0 ? 0 : 2;
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (app.got_subcommand("run")) return run();
  if (app.got_subcommand("example")) return example();
  if (app.got_subcommand("phantom")) return phantom();
  if (app.got_subcommand("submit")) return submit();
  if (app.got_subcommand("status")) return status();
  if (app.got_subcommand("preview")) return preview();
  if (app.got_subcommand("inspect")) return inspect();
  if (app.got_subcommand("keygen")) return keygen();
  return 2;
}
