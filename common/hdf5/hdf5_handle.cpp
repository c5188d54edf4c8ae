#include "common/hdf5/hdf5_handle.hpp"

#include <vector>

namespace h5io::hdf5 {

void silence_error_printing() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

namespace {
herr_t collect_description(unsigned, const H5E_error2_t* entry, void* data) {
  auto* messages = static_cast<std::vector<std::string>*>(data);
  if (entry->desc != nullptr && entry->desc[0] != '\0') messages->emplace_back(entry->desc);
  return 0;
}
} // namespace

std::string error_stack_summary() {
  std::vector<std::string> messages;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_description, &messages);
  H5Eclear2(H5E_DEFAULT);
  // The innermost entries say what actually went wrong; the outer ones only
  // repeat "unable to open file" at each layer.
  std::string summary;
  for (size_t i = 0; i < messages.size() && i < 2; ++i) {
    if (!summary.empty()) summary += "; ";
    summary += messages[i];
  }
  return summary;
}

hid_t check(hid_t id, const std::string& what) {
  if (id < 0) {
    const std::string detail = error_stack_summary();
    throw Error(detail.empty() ? what : what + " (HDF5: " + detail + ")");
  }
  return id;
}

void check_status(herr_t status, const std::string& what) {
  if (status < 0) check(H5I_INVALID_HID, what);
}

} // namespace h5io::hdf5
