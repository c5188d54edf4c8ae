#pragma once
// The one exception type of the tomo_fbp core. Its text is shown to the user
// as it is (through get_error_code), so it must say what is wrong in the
// scientist's terms and what to do about it.

#include "plugin_error.hpp"

namespace h5io::fbp {

// One error type for every library, so shared helpers (parameter reading)
// throw what tomo_fbp catches.
using Error = plugin::Error;

} // namespace h5io::fbp
