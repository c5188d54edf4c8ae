#pragma once
// `h5io preview`'s image: the three orthogonal central slices of a 3-D
// volume, read as hyperslabs (never the whole volume), with contrast from
// percentiles of their finite values, laid out side by side:
//
//   +-----------+-----+-----------+-----+---------+
//   | z = Nz/2  | gap | y = Ny/2  | gap | x = Nx/2|
//   | Ny x Nx   |     | Nz x Nx   |     | Nz x Ny |
//   +-----------+-----+-----------+-----+---------+
//
// width Nx + gap + Nx + gap + Ny, height max(Ny, Nz); each slice at the top,
// rows of the volume's lower index first; gap and padding are black.

#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace h5io::cli {

inline constexpr uint32_t kPreviewGap = 4;
inline constexpr const char* kPreviewDefaultDataset = "/entry/reconstruction/data";

// The dataset to show: `requested`, else the signal of the file's NeXus
// default NXdata (root -> entry -> NXdata, as h5io writes it) when that is
// 3-D, else /entry/reconstruction/data (what tomo_fbp writes), else the
// file's only 3-D dataset. Throws Error listing the 3-D datasets found when
// that does not name one.
std::string choose_volume_dataset(hid_t file, const std::string& file_name,
                                  const std::optional<std::string>& requested);

struct CentralSlices {
  std::string path;
  std::vector<int64_t> shape; // [Nz, Ny, Nx]
  std::vector<int64_t> index; // z, y, x of the slices: shape / 2
  std::vector<float> z_slice; // [Ny, Nx]
  std::vector<float> y_slice; // [Nz, Nx]
  std::vector<float> x_slice; // [Nz, Ny]
};

// Throws Error when the dataset is not a non-empty 3-D array of numbers.
CentralSlices read_central_slices(hid_t file, const std::string& path,
                                  const std::string& file_name);

struct Contrast {
  double low = 0;  // shown as 0
  double high = 0; // shown as 255
};

// The `low` and `high` percentiles (0-100, numpy's linear interpolation) of
// the slices' finite values; throws Error when there are none (all NaN).
Contrast percentile_contrast(const CentralSlices& slices, double low, double high);

struct GrayImage {
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<uint8_t> pixels; // row-major, top row first
};

// low -> 0, high -> 255, linear between, clamped; NaN -> 0. When low ==
// high (a constant image) that value is mid-grey.
GrayImage compose_preview(const CentralSlices& slices, const Contrast& contrast);

} // namespace h5io::cli
