#pragma once
// The one exception type of the tomo_fbp core. Its text is shown to the user
// as it is (through get_error_code), so it must say what is wrong in the
// scientist's terms and what to do about it.

#include <stdexcept>
#include <string>

namespace h5io::fbp {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

} // namespace h5io::fbp
