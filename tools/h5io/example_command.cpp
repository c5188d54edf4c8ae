#include "commands.hpp"

#include "common/hdf5/hdf5_handle.hpp"
#include "common/synthetic/example_scan.hpp"
#include "common/util/error.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <memory>

namespace h5io::cli {

Command add_example_command(CLI::App& app) {
  struct Options {
    std::string output;
    ExampleScanShape shape;
    bool overwrite = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "example", "Write a small synthetic scan ([frames, rows, columns] uint16, chunked like a "
                 "beamline's) to try h5io on");
  cmd->add_option("--output,-o", options->output, "File to write")->required();
  cmd->add_option("--frames", options->shape.frames, "Number of frames")->capture_default_str();
  cmd->add_option("--rows", options->shape.rows, "Detector rows")->capture_default_str();
  cmd->add_option("--columns", options->shape.columns, "Detector columns")->capture_default_str();
  cmd->add_option("--chunk-frames", options->shape.chunk_frames, "Frames per chunk")
      ->capture_default_str();
  cmd->add_option("--chunk-rows", options->shape.chunk_rows, "Rows per chunk")
      ->capture_default_str();
  cmd->add_flag("--overwrite", options->overwrite, "Replace an existing file");

  return [options] {
    try {
      hdf5::silence_error_printing();
      if (std::filesystem::exists(options->output) && !options->overwrite)
        throw Error(
            fmt::format("'{}' already exists; pass --overwrite to replace it", options->output));
      write_example_scan(options->output, options->shape);
      const ExampleScanShape& s = options->shape;
      fmt::print("wrote example scan {}: {} [{}, {}, {}] uint16, chunks [{}, {}, {}]\n",
                 options->output, kExampleScanDataset, s.frames, s.rows, s.columns,
                 std::min(s.chunk_frames, s.frames), std::min(s.chunk_rows, s.rows), s.columns);
      return 0;
    } catch (const std::exception& e) {
      fmt::print(stderr, "h5io: error: {}\n", e.what());
      return 1;
    }
  };
}

} // namespace h5io::cli
