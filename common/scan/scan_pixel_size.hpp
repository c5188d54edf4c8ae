#pragma once
// The detector's pixel size, which turns a reconstruction's voxel indices
// into lengths: NXtomo keeps it in the entry's NXdetector as x_pixel_size
// (across the detector's columns) and y_pixel_size (along its rows), each
// with a `units` attribute. A size that cannot be read unambiguously (no or
// unknown units, values that differ between frames, not a positive number)
// is left out with a warning: a wrong length is worse than pixels.

#include <hdf5.h>

#include <optional>
#include <string>
#include <vector>

namespace h5io {

struct PixelSize {
  double x_metres = 0; // one column's width
  double y_metres = 0; // one row's height (x_pixel_size's when there is no y_pixel_size)
  std::string path;    // the x_pixel_size dataset
  std::string units;   // its units, as written
};

// The pixel size in the first NXdetector (by name) under `entry`/instrument
// that has an x_pixel_size; nullopt when there is none, or when it cannot
// be used (then with a line in `warnings`).
std::optional<PixelSize> find_pixel_size(hid_t file, const std::string& entry,
                                         std::vector<std::string>& warnings);

// Metres per unit for a length unit (m, mm, um, µm, micron, nm, ... and
// their spelt-out names), or nullopt.
std::optional<double> metres_per_unit(const std::string& units);

} // namespace h5io
