#pragma once
// The one exception type h5io throws for anything a user can cause: its text
// is shown as is, so it names the culprit (file, dataset, parameter, library).

#include <stdexcept>
#include <string>

namespace h5io {

class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace h5io
