#include "commands.hpp"

#include "inspect_report.hpp"

#include "common/hdf5/hdf5_handle.hpp"

#include <fmt/format.h>

#include <memory>
#include <string>

namespace h5io::cli {

Command add_inspect_command(CLI::App& app) {
  struct Options {
    std::string scan;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Show how h5io sees an HDF5 file: the scan layout it detects (NXtomo, "
                 "DXchange), where the frames are, their chunking and compression and what that "
                 "means for speed; for other files, their datasets (through external links) "
                 "and, when they look like a scan, the --param scan.... line to pass");
  cmd->add_option("file", options->scan, "HDF5 file (a scan, or any HDF5 file)")->required();
  cmd->add_flag("--json", options->json, "Print one machine-readable JSON object");

  return [options] {
    try {
      hdf5::silence_error_printing();
      const nlohmann::json report = inspect_file(options->scan);
      if (options->json)
        fmt::print("{}\n", report.dump(2));
      else
        fmt::print("{}", render_report(report));
      return 0;
    } catch (const std::exception& e) {
      fmt::print(stderr, "h5io: error: {}\n", e.what());
      return 1;
    }
  };
}

} // namespace h5io::cli
