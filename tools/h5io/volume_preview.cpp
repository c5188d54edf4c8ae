#include "volume_preview.hpp"

#include "common/hdf5/dataset_info.hpp"
#include "common/hdf5/hdf5_handle.hpp"
#include "common/hdf5/nexus_default.hpp"
#include "common/util/error.hpp"
#include "common/util/shape_text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

namespace h5io::cli {

namespace {

bool dataset_exists(hid_t file, const std::string& path) {
  H5O_info_t info{};
  const bool found =
      H5Oget_info_by_name2(file, path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 &&
      info.type == H5O_TYPE_DATASET;
  hdf5::error_stack_summary(); // a missing path is an answer here, not an error
  return found;
}

std::vector<DatasetInfo> volumes_in(hid_t file, const std::string& file_name) {
  std::vector<DatasetInfo> volumes;
  for (DatasetInfo& info : list_datasets(file, file_name))
    if (info.shape.size() == 3 && info.numeric) volumes.push_back(std::move(info));
  return volumes;
}

std::string listing(const std::vector<DatasetInfo>& volumes) {
  if (volumes.empty()) return "it holds no 3-D datasets of numbers";
  std::string text = "3-D datasets in it:";
  for (const DatasetInfo& info : volumes)
    text += fmt::format(" {} {} {};", info.path, shape_text(info.shape), info.dtype);
  text.pop_back();
  return text;
}

// Reads the hyperslab start/count of the volume as floats (HDF5 converts).
std::vector<float> read_slab(hid_t dataset, const std::vector<hsize_t>& start,
                             const std::vector<hsize_t>& count, const std::string& what) {
  hdf5::Dataspace file_space(hdf5::check(H5Dget_space(dataset), what));
  hdf5::check_status(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                         count.data(), nullptr),
                     what);
  hdf5::Dataspace memory_space(hdf5::check(H5Screate_simple(3, count.data(), nullptr), what));
  std::vector<float> values(count[0] * count[1] * count[2]);
  hdf5::check_status(H5Dread(dataset, H5T_NATIVE_FLOAT, memory_space.get(), file_space.get(),
                             H5P_DEFAULT, values.data()),
                     what);
  return values;
}

// numpy.percentile's default ("linear") of `values`, which it reorders.
double percentile(std::vector<float>& values, double percent) {
  const double position = percent / 100.0 * static_cast<double>(values.size() - 1);
  const auto below = static_cast<size_t>(std::floor(position));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(below),
                   values.end());
  const double low = values[below];
  if (below + 1 >= values.size()) return low;
  const double high =
      *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(below) + 1, values.end());
  return low + (high - low) * (position - static_cast<double>(below));
}

uint8_t gray(float value, const Contrast& contrast) {
  if (std::isnan(value)) return 0;
  if (value < contrast.low) return 0;
  if (value > contrast.high) return 255;
  if (contrast.high <= contrast.low) return 128;
  return static_cast<uint8_t>(
      std::lround(255.0 * (value - contrast.low) / (contrast.high - contrast.low)));
}

void paste(GrayImage& image, uint32_t left, const std::vector<float>& slice, int64_t rows,
           int64_t columns, const Contrast& contrast) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c)
      image.pixels[static_cast<size_t>(r) * image.width + left + static_cast<size_t>(c)] =
          gray(slice[static_cast<size_t>(r * columns + c)], contrast);
}

} // namespace

std::string choose_volume_dataset(hid_t file, const std::string& file_name,
                                  const std::optional<std::string>& requested) {
  if (requested) {
    if (dataset_exists(file, *requested)) return *requested;
    throw Error(fmt::format("dataset '{}' not found in '{}'; {}", *requested, file_name,
                            listing(volumes_in(file, file_name))));
  }
  // What a NeXus viewer would plot, when that is a volume.
  const std::optional<std::string> plotted = nexus_default_signal(file);
  if (plotted && inspect_dataset(file, *plotted, file_name).shape.size() == 3) return *plotted;
  // Files written before h5io wrote NeXus, and files of other programs.
  if (dataset_exists(file, kPreviewDefaultDataset)) return kPreviewDefaultDataset;
  const std::vector<DatasetInfo> volumes = volumes_in(file, file_name);
  if (volumes.size() == 1) return volumes.front().path;
  const std::string chain = plotted ? fmt::format("its NeXus default ('{}') is not 3-D", *plotted)
                                    : std::string("it has no NeXus default chain to a volume");
  throw Error(fmt::format("'{}': {}, it has no {} (what tomo_fbp writes), and {}{}", file_name,
                          chain, kPreviewDefaultDataset, listing(volumes),
                          volumes.empty() ? "" : "; choose one with --dataset PATH"));
}

CentralSlices read_central_slices(hid_t file, const std::string& path,
                                  const std::string& file_name) {
  const DatasetInfo info = inspect_dataset(file, path, file_name);
  if (info.shape.size() != 3 || !info.numeric)
    throw Error(fmt::format("'{}' in '{}' is {} of shape {}; a preview needs a 3-D volume of "
                            "numbers [z, y, x]",
                            path, file_name, info.dtype, shape_text(info.shape)));
  if (info.elements() == 0)
    throw Error(fmt::format("'{}' in '{}' is empty (shape {}): there is nothing to show", path,
                            file_name, shape_text(info.shape)));
  hdf5::Dataset dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  CentralSlices slices;
  slices.path = path;
  slices.shape = info.shape;
  const auto n = [&](size_t axis) { return static_cast<hsize_t>(info.shape[axis]); };
  for (size_t axis = 0; axis < 3; ++axis) slices.index.push_back(info.shape[axis] / 2);
  const auto at = [&](size_t axis) { return static_cast<hsize_t>(slices.index[axis]); };
  const std::string what = fmt::format("reading the central slices of '{}' in '{}' failed (is "
                                       "its compression filter installed?)",
                                       path, file_name);
  slices.z_slice = read_slab(dataset.get(), {at(0), 0, 0}, {1, n(1), n(2)}, what);
  slices.y_slice = read_slab(dataset.get(), {0, at(1), 0}, {n(0), 1, n(2)}, what);
  slices.x_slice = read_slab(dataset.get(), {0, 0, at(2)}, {n(0), n(1), 1}, what);
  return slices;
}

Contrast percentile_contrast(const CentralSlices& slices, double low, double high) {
  std::vector<float> finite;
  finite.reserve(slices.z_slice.size() + slices.y_slice.size() + slices.x_slice.size());
  for (const auto* slice : {&slices.z_slice, &slices.y_slice, &slices.x_slice})
    std::copy_if(slice->begin(), slice->end(), std::back_inserter(finite),
                 [](float v) { return std::isfinite(v); });
  if (finite.empty())
    throw Error(fmt::format("the central slices of '{}' hold no finite values (all NaN or "
                            "infinite): there is nothing to show",
                            slices.path));
  return Contrast{percentile(finite, low), percentile(finite, high)};
}

GrayImage compose_preview(const CentralSlices& slices, const Contrast& contrast) {
  const int64_t nz = slices.shape[0], ny = slices.shape[1], nx = slices.shape[2];
  GrayImage image;
  image.width = static_cast<uint32_t>(nx + kPreviewGap + nx + kPreviewGap + ny);
  image.height = static_cast<uint32_t>(std::max(ny, nz));
  image.pixels.assign(static_cast<size_t>(image.width) * image.height, 0);
  paste(image, 0, slices.z_slice, ny, nx, contrast);
  paste(image, static_cast<uint32_t>(nx + kPreviewGap), slices.y_slice, nz, nx, contrast);
  paste(image, static_cast<uint32_t>(2 * (nx + kPreviewGap)), slices.x_slice, nz, ny, contrast);
  return image;
}

} // namespace h5io::cli
