#pragma once
// How every message of the host and its tools names a dataset's shape:
// "[1800, 2160, 2560]". (Libraries have plugin_support's own, on the ABI's
// dataspace: they depend on nothing from common/.)

#include <cstdint>
#include <span>
#include <string>

namespace h5io {

std::string shape_text(std::span<const int64_t> shape);

} // namespace h5io
