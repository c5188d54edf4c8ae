#include "image_shape.hpp"

#include "dtype_names.hpp"

namespace h5io::plugin {

std::string describe(const ImageShape& shape) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, falsely) on a chain
  // of operator+ starting from a literal.
  std::string text = "[";
  text += std::to_string(shape.rows);
  text += ", ";
  text += std::to_string(shape.cols);
  text += "] ";
  text += dtype_name(shape.dtype);
  return text;
}

} // namespace h5io::plugin
