#pragma once
// The one exception type of the file-exchanging libraries and their helpers.
// Its text reaches the user unchanged (through get_error_code), so it says
// what is wrong in the user's terms and what to do about it.

#include <stdexcept>
#include <string>

namespace h5io::plugin {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

} // namespace h5io::plugin
