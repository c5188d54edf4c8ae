#pragma once
// The file name of each slice: PREFIX, the global slice number zero-padded
// to a fixed width, ".tif" — so names sort in slice order in any listing.

#include <cstdint>
#include <string>
#include <string_view>

namespace h5io::extract {

class SliceNaming {
public:
  SliceNaming(std::string prefix, int digits) : prefix_(std::move(prefix)), digits_(digits) {}

  // Enough digits for slice_count - 1, and at least 5.
  static int digits_for(int64_t slice_count);

  std::string file_name(int64_t slice) const;

  // Whether `name` has this naming's form (any number), i.e. could be a
  // file of this or an earlier extraction into the same directory.
  bool matches(std::string_view name) const;

  // "slice_NNNNN.tif", for attributes and messages.
  std::string pattern() const;

  size_t name_length() const { return prefix_.size() + static_cast<size_t>(digits_) + 4; }
  int digits() const { return digits_; }

private:
  std::string prefix_;
  int digits_;
};

} // namespace h5io::extract
