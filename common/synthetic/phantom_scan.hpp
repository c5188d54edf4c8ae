#pragma once
// A synthetic tomography scan of the modified Shepp-Logan phantom, written as
// a beamline writes one (Diamond NXtomo with an external detector file, APS
// Data Exchange, or plain NXtomo), plus its ground-truth volume, so readers
// and reconstructions can be checked against the truth. Geometry follows
// ARCHITECTURE.md, "Tomography geometry".

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace h5io {

enum class PhantomLayout {
  nxtomo,   // /entry/instrument/detector/{data,image_key}, darks then flats then projections
  diamond,  // /entry1/tomo_entry, data an external link, dark,flat,proj,flat,dark
  dxchange, // /exchange/{data,data_white,data_dark,theta}
  // Newer Diamond, no NXtomo entry: frames in the NXdata /entry/pco1/data,
  // an external link into <stem>_pco1.h5; int32 image_key in
  // /entry/instrument/pco1; angles /entry/smaract_zrot/smaract_zrot_value in
  // another NXdata, one per frame, with no units; scalar metadata beside.
  nxdata,
};

// "nxtomo", "diamond", "dxchange", "nxdata" (throws Error naming the
// choices otherwise).
PhantomLayout parse_phantom_layout(std::string_view name);
std::string_view phantom_layout_name(PhantomLayout layout);

struct PhantomScanOptions {
  std::filesystem::path output;
  std::filesystem::path truth; // empty: <stem>_truth.h5 beside the output
  bool overwrite = false;
  PhantomLayout layout = PhantomLayout::nxtomo;
  int64_t size = 256; // N: detector columns, and the truth's N x N slices
  int64_t rows = 16;  // detector rows = truth slices
  int64_t angles = 360;
  double range_degrees = 180; // projections at start + k * range / angles, k < angles
  double start_degrees = 0;   // the first projection's angle
  double center_offset = 0;   // axis at column floor(size / 2) + center_offset
  // A tilted axis (approximated row by row, as a small tilt is): the axis
  // moves linearly by `tilt` pixels from the first row to the last, passing
  // through the centre above at the middle height (phantom_row_center).
  double tilt = 0;
  // > 1: the phantom is this much larger than the detector is wide (same
  // line-integral range), so every projection is truncated.
  double object_scale = 1;
  // The detector's pixel in micrometres, written as the NXdetector's
  // x_pixel_size and y_pixel_size (nxtomo and diamond layouts); 0: none.
  double pixel_size_um = 6.5;
  int64_t darks = 10;
  int64_t flats = 20;
  double flat_level = 20000; // open-beam counts above the dark level
  double dark_level = 100;
  double read_noise = 2; // Gaussian sigma, counts, on every frame
  bool poisson = false;  // photon (shot) noise on the counts above the dark level
  uint64_t seed = 1;
  // Densities are the table's intensities * attenuation / size; with 6 about
  // a quarter of the beam gets through the middle, as in a real sample.
  double attenuation = 6;
  bool frame_chunks = false; // chunks [1, rows, cols] instead of [8, 16, cols]
  // nxdata only: darks and flats in dark_field.h5 and flat_field.h5 beside
  // the scan (I12 style); the frames file then holds the projections only.
  bool reference_files = false;
};

// Throws Error with a message naming the option when `options` cannot make a
// sensible scan.
void validate_phantom_scan_options(const PhantomScanOptions& options);

// The rotation axis's detector position: floor(size / 2) + center_offset.
double phantom_scan_center(const PhantomScanOptions& options);

// The axis's column at detector row `row`: the centre above plus
// tilt * (row / (rows - 1) - 1/2).
double phantom_row_center(const PhantomScanOptions& options, int64_t row);

// False when the phantom reaches past a detector edge at some angle: its
// projections are then truncated (as in local tomography).
bool phantom_fits_detector(const PhantomScanOptions& options);

// The options and derived facts (axis position, file names) as stored in the
// files' `h5io_phantom` attribute.
nlohmann::json phantom_scan_record(const PhantomScanOptions& options);

struct PhantomScanFiles {
  std::filesystem::path scan;
  std::filesystem::path detector; // diamond and nxdata only; empty otherwise
  std::filesystem::path truth;
  std::filesystem::path darks; // with reference_files (and darks); empty otherwise
  std::filesystem::path flats; // with reference_files (and flats); empty otherwise
};

// Validates, then writes every file under a temporary name and renames them
// when all are complete (the scan file last). Throws Error; on failure no
// file is left under a final name that was not there before.
PhantomScanFiles write_phantom_scan(const PhantomScanOptions& options);

} // namespace h5io
