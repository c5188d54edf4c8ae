#pragma once
// Inputs a library asks for by role instead of by path: "scan:projections",
// "scan:darks", "scan:flats" (frames of shape [n, rows, cols], n may be 0),
// "scan:angles" (float64 radians, one per projection) and
// "scan:pixel_size" (float64 [2]: a detector pixel's width and height in
// metres, or [0] when the scan does not say). The host finds them with
// discover_scan, so one library reads NXtomo and DXchange alike.

#include "common/hdf5/input_source.hpp"
#include "common/scan/scan_layout.hpp"

#include <memory>
#include <string>

namespace h5io {

inline constexpr const char* kScanRolePrefix = "scan:";

bool is_scan_role(const std::string& location);

// Opens one role; throws Error listing the roles for an unknown one. Frames
// in other files are read from `others`, where discover_scan opened them.
std::unique_ptr<InputSource> open_scan_role(hid_t file, const std::string& file_name,
                                            const std::string& role, const ScanLayout& scan,
                                            const ScanFiles& others);

} // namespace h5io
