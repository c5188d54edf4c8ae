#include "commands.hpp"

#include "common/util/shape_text.hpp"
#include "gray_png.hpp"
#include "volume_preview.hpp"

#include "common/hdf5/hdf5_handle.hpp"
#include "common/hdf5/input_file.hpp"
#include "common/mpi/mpi_group.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <optional>
#include <string>

namespace h5io::cli {

Command add_preview_command(CLI::App& app) {
  struct Options {
    std::string volume;
    std::string output;
    std::optional<std::string> dataset;
    double low = 0.5;
    double high = 99.5;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "preview", "Write a PNG of a 3-D volume's three central slices (z, y, x) side by side, "
                 "with contrast from percentiles, to check a reconstruction at a glance");
  cmd->add_option("volume", options->volume, "HDF5 file holding the volume")->required();
  cmd->add_option("--output,-o", options->output, "PNG file to write (replaced atomically)")
      ->required();
  cmd->add_option("--dataset", options->dataset,
                  fmt::format("The volume [z, y, x] (default: the signal of the file's NeXus "
                              "default NXdata when it is 3-D, else {} if present, else the "
                              "file's only 3-D dataset)",
                              kPreviewDefaultDataset));
  cmd->add_option("--low", options->low, "Percentile shown black")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--high", options->high, "Percentile shown white")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();

  return [options] {
    try {
      hdf5::silence_error_printing();
      if (options->low >= options->high)
        throw Error(fmt::format("--low {} must be below --high {}", options->low, options->high));
      check_input_file(options->volume);
      // Serial HDF5 (the default driver): preview never initialises MPI.
      const hdf5::File file = open_input_file(Group(Group::Solo{}), options->volume);
      const std::string path = choose_volume_dataset(file.get(), options->volume, options->dataset);
      const CentralSlices slices = read_central_slices(file.get(), path, options->volume);
      const Contrast contrast = percentile_contrast(slices, options->low, options->high);
      const GrayImage image = compose_preview(slices, contrast);
      write_gray_png(options->output, image.width, image.height, image.pixels);
      fmt::print("wrote {} ({} x {}): slices z={}, y={}, x={} of {} {}; contrast {:.6g}..{:.6g} "
                 "(percentiles {:g}..{:g})\n",
                 options->output, image.width, image.height, slices.index[0], slices.index[1],
                 slices.index[2], path, shape_text(slices.shape), contrast.low, contrast.high,
                 options->low, options->high);
      return 0;
    } catch (const std::exception& e) {
      fmt::print(stderr, "h5io: error: {}\n", e.what());
      return 1;
    }
  };
}

} // namespace h5io::cli
