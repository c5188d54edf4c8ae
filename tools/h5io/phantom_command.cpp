#include "commands.hpp"

#include "common/hdf5/hdf5_handle.hpp"
#include "common/synthetic/phantom_scan.hpp"
#include "common/util/error.hpp"

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace h5io::cli {

Command add_phantom_command(CLI::App& app) {
  struct Options {
    PhantomScanOptions scan;
    std::string output;
    std::string truth;
    std::string layout = "nxtomo";
    std::optional<double> start_angle;
  };
  auto options = std::make_shared<Options>();
  PhantomScanOptions& scan = options->scan;
  CLI::App* cmd = app.add_subcommand(
      "phantom", "Write a synthetic tomography scan of the 3-D modified Shepp-Logan phantom "
                 "(exact line integrals, dark/flat fields, noise) in a beamline's layout, and "
                 "its ground-truth volume");
  cmd->add_option("--output,-o", options->output, "Scan file to write")->required();
  cmd->add_option("--layout", options->layout,
                  "nxtomo: plain NXtomo (/entry); diamond: Diamond's NXtomo (/entry1/tomo_entry, "
                  "frames in <stem>_detector.h5 by external link); dxchange: APS Data Exchange "
                  "(/exchange); nxdata: newer Diamond with no NXtomo entry (frames in "
                  "/entry/pco1/data, an external link into <stem>_pco1.h5; int32 image_key in "
                  "/entry/instrument/pco1; angles /entry/smaract_zrot/smaract_zrot_value with no "
                  "units)")
      ->check(CLI::IsMember({"nxtomo", "diamond", "dxchange", "nxdata"}))
      ->capture_default_str();
  cmd->add_option("--truth", options->truth,
                  "Ground-truth volume file (default: <stem>_truth.h5 beside the output)");
  cmd->add_option("--size", scan.size, "Detector columns N (the truth has N x N slices)")
      ->capture_default_str();
  cmd->add_option("--rows", scan.rows, "Detector rows (= truth slices)")->capture_default_str();
  cmd->add_option("--angles", scan.angles, "Projections")->capture_default_str();
  cmd->add_option("--range", scan.range_degrees,
                  "Angular range in degrees, 180 or 360 (projection k at k * range / angles)")
      ->capture_default_str();
  cmd->add_option("--start-angle", options->start_angle,
                  "The first projection's angle in degrees (default 90 for nxdata, so its angles "
                  "run from 90 to 270 as Diamond's often do; 0 otherwise)");
  cmd->add_option("--center-offset", scan.center_offset,
                  "Rotation axis at column floor(size/2) + this (pixels, may be fractional)")
      ->capture_default_str();
  cmd->add_option(
         "--tilt", scan.tilt,
         "Tilted axis: it moves by this many pixels from the first row to the last "
         "(through the centre above at mid-height; each row's axis in the truth's /center)")
      ->capture_default_str();
  cmd->add_option("--object-scale", scan.object_scale,
                  "Phantom this many times larger than the detector (1 to 16; > 1 truncates "
                  "every projection)")
      ->capture_default_str();
  cmd->add_option("--pixel-size", scan.pixel_size_um,
                  "Detector pixel in micrometres, written as the NXdetector's x_pixel_size and "
                  "y_pixel_size (nxtomo, diamond; 0: none)")
      ->capture_default_str();
  cmd->add_option("--darks", scan.darks, "Dark frames (0: none)")->capture_default_str();
  cmd->add_option("--flats", scan.flats, "Flat (open-beam) frames (0: none)")
      ->capture_default_str();
  cmd->add_option("--flat-level", scan.flat_level, "Open-beam counts above the dark level")
      ->capture_default_str();
  cmd->add_option("--dark-level", scan.dark_level, "Dark counts")->capture_default_str();
  cmd->add_option("--read-noise", scan.read_noise, "Gaussian read noise sigma (counts)")
      ->capture_default_str();
  cmd->add_flag("--poisson", scan.poisson, "Add photon (Poisson) noise");
  cmd->add_option("--seed", scan.seed, "Noise seed")->capture_default_str();
  cmd->add_option("--attenuation", scan.attenuation,
                  "Density scale: mu = table intensity * attenuation / size per pixel")
      ->capture_default_str();
  cmd->add_flag("--frame-chunks", scan.frame_chunks,
                "Chunk one frame per chunk [1, rows, cols] instead of [8, 16, cols]");
  cmd->add_flag("--dark-flat-files", scan.reference_files,
                "nxdata only: write darks and flats as dark_field.h5 and flat_field.h5 beside the "
                "scan (as I12 does); the frames file then holds the projections only");
  cmd->add_flag("--overwrite", scan.overwrite, "Replace existing files");

  return [options] {
    try {
      hdf5::silence_error_printing();
      PhantomScanOptions scan_options = options->scan;
      scan_options.output = options->output;
      scan_options.truth = options->truth;
      scan_options.layout = parse_phantom_layout(options->layout);
      scan_options.start_degrees =
          options->start_angle.value_or(scan_options.layout == PhantomLayout::nxdata ? 90.0 : 0.0);
      const auto start = std::chrono::steady_clock::now();
      const PhantomScanFiles files = write_phantom_scan(scan_options);
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      const PhantomScanOptions& s = scan_options;
      fmt::print("wrote {} scan {}: {} projections over {} degrees from {}, {} flats, {} darks, "
                 "[{} rows, {} columns] uint16, rotation axis at column {}\n",
                 phantom_layout_name(s.layout), files.scan.string(), s.angles, s.range_degrees,
                 s.start_degrees, s.flats, s.darks, s.rows, s.size, phantom_scan_center(s));
      if (!files.detector.empty()) fmt::print("detector frames: {}\n", files.detector.string());
      if (!files.darks.empty()) fmt::print("dark frames: {}\n", files.darks.string());
      if (!files.flats.empty()) fmt::print("flat frames: {}\n", files.flats.string());
      fmt::print("ground truth: {} (/volume [{}, {}, {}] float32, 1/pixel)\n", files.truth.string(),
                 s.rows, s.size, s.size);
      if (s.tilt != 0)
        fmt::print("tilted axis: column {} on the first row, {} on the last\n",
                   phantom_row_center(s, 0), phantom_row_center(s, s.rows - 1));
      if (!phantom_fits_detector(s))
        fmt::print("note: with this centre offset the phantom reaches past the detector's edge; "
                   "some projections are truncated\n");
      fmt::print("took {:.2f} s\n", took.count());
      return 0;
    } catch (const std::exception& e) {
      fmt::print(stderr, "h5io: error: {}\n", e.what());
      return 1;
    }
  };
}

} // namespace h5io::cli
