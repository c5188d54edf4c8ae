#include "common/util/version.hpp"

namespace h5io {

std::string_view version() {
  return H5IO_VERSION;
}

} // namespace h5io
