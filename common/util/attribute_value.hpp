#pragma once
// One annotation of an HDF5 object (a library's units for its output, say):
// a name and a text, whole-number or real value.

#include <cstdint>
#include <string>
#include <variant>

namespace h5io {

struct AttributeValue {
  std::string name;
  std::variant<std::string, int64_t, double> value;
};

} // namespace h5io
