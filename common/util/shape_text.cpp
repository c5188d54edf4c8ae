#include "common/util/shape_text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace h5io {

std::string shape_text(std::span<const int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

} // namespace h5io
