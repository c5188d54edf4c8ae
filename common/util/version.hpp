#pragma once

#include <string_view>

namespace h5io {

// The h5io release, from the project() version in CMakeLists.txt.
std::string_view version();

} // namespace h5io
