#include "slice_naming.hpp"

#include <algorithm>
#include <cctype>

namespace h5io::extract {

int SliceNaming::digits_for(int64_t slice_count) {
  const std::string largest = std::to_string(std::max<int64_t>(slice_count - 1, 0));
  return std::max(5, static_cast<int>(largest.size()));
}

std::string SliceNaming::file_name(int64_t slice) const {
  std::string number = std::to_string(slice);
  if (number.size() < static_cast<size_t>(digits_))
    number.insert(0, static_cast<size_t>(digits_) - number.size(), '0');
  return prefix_ + number + ".tif";
}

bool SliceNaming::matches(std::string_view name) const {
  if (name.size() != name_length() || name.substr(0, prefix_.size()) != prefix_ ||
      name.substr(name.size() - 4) != ".tif")
    return false;
  const std::string_view number = name.substr(prefix_.size(), static_cast<size_t>(digits_));
  return std::all_of(number.begin(), number.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

std::string SliceNaming::pattern() const {
  return prefix_ + std::string(static_cast<size_t>(digits_), 'N') + ".tif";
}

} // namespace h5io::extract
