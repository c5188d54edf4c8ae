#include "common/scan/scan_pixel_size.hpp"

#include "common/hdf5/hdf5_attributes.hpp"
#include "common/hdf5/hdf5_handle.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>

namespace h5io {

namespace {

herr_t collect_names(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

// Groups directly under `path` whose NX_class is NXdetector, in name order.
std::vector<std::string> detectors_under(hid_t file, const std::string& path) {
  std::vector<std::string> names;
  hdf5::Group group(H5Gopen2(file, path.c_str(), H5P_DEFAULT));
  if (group.valid())
    H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_names, &names);
  std::vector<std::string> detectors;
  for (const std::string& name : names) {
    hdf5::Group child(H5Gopen2(group.get(), name.c_str(), H5P_DEFAULT));
    if (!child.valid()) continue;
    const auto nx_class = read_string_attribute(child.get(), "NX_class");
    if (nx_class && nx_class->find("NXdetector") != std::string::npos)
      detectors.push_back(path + "/" + name);
  }
  hdf5::error_stack_summary(); // links that lead nowhere are not an error here
  return detectors;
}

// The one value of a numeric dataset (scalar, or every element equal), and
// its units attribute; a message in `problem` otherwise.
std::optional<std::pair<double, std::string>> read_length(hid_t file, const std::string& path,
                                                          std::string& problem) {
  hdf5::Dataset dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  hdf5::error_stack_summary();
  if (!dataset.valid()) return std::nullopt;
  hdf5::Dataspace space(H5Dget_space(dataset.get()));
  hdf5::Datatype type(H5Dget_type(dataset.get()));
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  const H5T_class_t kind = H5Tget_class(type.get());
  if ((kind != H5T_INTEGER && kind != H5T_FLOAT) || count < 1 || count > (1 << 20)) {
    problem = fmt::format("'{}' is not a number", path);
    return std::nullopt;
  }
  std::vector<double> values(static_cast<size_t>(count));
  if (H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
    problem = fmt::format("'{}' cannot be read ({})", path, hdf5::error_stack_summary());
    return std::nullopt;
  }
  const double value = values.front();
  if (!std::isfinite(value) || value <= 0 ||
      std::any_of(values.begin(), values.end(), [&](double v) { return v != value; })) {
    problem = fmt::format("'{}' is not one positive number", path);
    return std::nullopt;
  }
  return std::pair{value, read_string_attribute(dataset.get(), "units").value_or("")};
}

} // namespace

std::optional<double> metres_per_unit(const std::string& units) {
  std::string text;
  for (const char c : units)
    if (!std::isspace(static_cast<unsigned char>(c)))
      text += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text.ends_with("s") && text.size() > 2) text.pop_back(); // plurals: meters, microns
  static const std::pair<const char*, double> kUnits[] = {
      {"m", 1.0},           {"meter", 1.0},
      {"metre", 1.0},       {"cm", 1e-2},
      {"mm", 1e-3},         {"millimeter", 1e-3},
      {"millimetre", 1e-3}, {"um", 1e-6},
      {"\xc2\xb5m", 1e-6}, // µm (micro sign)
      {"\xce\xbcm", 1e-6},  /* μm (Greek mu) */ {"micron", 1e-6},
      {"micrometer", 1e-6}, {"micrometre", 1e-6},
      {"nm", 1e-9},         {"nanometer", 1e-9},
      {"nanometre", 1e-9}};
  for (const auto& [name, metres] : kUnits)
    if (text == name) return metres;
  return std::nullopt;
}

std::optional<PixelSize> find_pixel_size(hid_t file, const std::string& entry,
                                         std::vector<std::string>& warnings) {
  for (const std::string& detector : detectors_under(file, entry + "/instrument")) {
    const std::string x_path = detector + "/x_pixel_size";
    std::string problem;
    const auto x = read_length(file, x_path, problem);
    if (!x && problem.empty()) continue; // this detector has none
    const auto ignored = [&](const std::string& why) -> std::optional<PixelSize> {
      warnings.push_back(fmt::format("the detector's pixel size is not used ({}): the volume's "
                                     "axes are in pixels",
                                     why));
      return std::nullopt;
    };
    if (!x) return ignored(problem);
    const std::optional<double> x_unit = metres_per_unit(x->second);
    if (!x_unit)
      return ignored(x->second.empty() ? fmt::format("'{}' has no units attribute", x_path)
                                       : fmt::format("'{}' has units '{}', not a length h5io knows",
                                                     x_path, x->second));
    PixelSize size{x->first * *x_unit, x->first * *x_unit, x_path, x->second};
    const std::string y_path = detector + "/y_pixel_size";
    if (const auto y = read_length(file, y_path, problem)) {
      const std::optional<double> y_unit = metres_per_unit(y->second);
      if (!y_unit)
        return ignored(
            fmt::format("'{}' has units '{}', not a length h5io knows", y_path, y->second));
      size.y_metres = y->first * *y_unit;
    } else if (!problem.empty()) {
      return ignored(problem);
    }
    return size;
  }
  return std::nullopt;
}

} // namespace h5io
