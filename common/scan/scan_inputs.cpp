#include "common/scan/scan_inputs.hpp"

#include "common/hdf5/dtype.hpp"
#include "common/util/error.hpp"

#include <fmt/format.h>

#include <cstring>

namespace h5io {

namespace {

h5io_dtype_t dtype_named(const std::string& name) {
  for (int code = H5IO_INT8; code <= H5IO_FLOAT64; ++code)
    if (dtype_name(static_cast<h5io_dtype_t>(code)) == name) return static_cast<h5io_dtype_t>(code);
  return H5IO_DTYPE_INVALID;
}

std::unique_ptr<InputSource> frames_input(hid_t file, const std::string& file_name,
                                          const std::string& role, const FrameSet& frames,
                                          const ScanLayout& scan, const ScanFiles& others) {
  if (frames.count() > 0 && !frames.file.empty())
    return std::make_unique<InputDataset>(others.get(frames.file), frames.path, frames.file,
                                          frames.frames, role);
  if (frames.count() > 0)
    return std::make_unique<InputDataset>(file, frames.path, file_name, frames.frames, role);
  // None of these frames: an empty stack of the data's frame size, so the
  // library sees zero frames rather than a missing input.
  return std::make_unique<MemoryInput>(
      role, std::vector<int64_t>{0, scan.data_shape[1], scan.data_shape[2]},
      dtype_named(scan.dtype), std::vector<std::byte>{});
}

} // namespace

bool is_scan_role(const std::string& location) {
  return location.starts_with(kScanRolePrefix);
}

std::unique_ptr<InputSource> open_scan_role(hid_t file, const std::string& file_name,
                                            const std::string& role, const ScanLayout& scan,
                                            const ScanFiles& others) {
  if (role == "scan:projections")
    return frames_input(file, file_name, role, scan.projections, scan, others);
  if (role == "scan:darks") return frames_input(file, file_name, role, scan.darks, scan, others);
  if (role == "scan:flats") return frames_input(file, file_name, role, scan.flats, scan, others);
  if (role == "scan:angles") {
    std::vector<std::byte> bytes(scan.angles.size() * sizeof(double));
    if (!bytes.empty()) std::memcpy(bytes.data(), scan.angles.data(), bytes.size());
    return std::make_unique<MemoryInput>(
        role, std::vector<int64_t>{static_cast<int64_t>(scan.angles.size())}, H5IO_FLOAT64,
        std::move(bytes));
  }
  if (role == "scan:pixel_size") {
    // [x, y] in metres, or nothing when the scan does not say.
    std::vector<double> size;
    if (scan.pixel_size) size = {scan.pixel_size->x_metres, scan.pixel_size->y_metres};
    std::vector<std::byte> bytes(size.size() * sizeof(double));
    if (!bytes.empty()) std::memcpy(bytes.data(), size.data(), bytes.size());
    return std::make_unique<MemoryInput>(role,
                                         std::vector<int64_t>{static_cast<int64_t>(size.size())},
                                         H5IO_FLOAT64, std::move(bytes));
  }
  throw Error(fmt::format("unknown scan role '{}': h5io provides scan:projections, scan:darks, "
                          "scan:flats, scan:angles and scan:pixel_size",
                          role));
}

} // namespace h5io
