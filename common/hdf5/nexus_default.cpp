#include "common/hdf5/nexus_default.hpp"

#include "common/hdf5/hdf5_attributes.hpp"
#include "common/hdf5/hdf5_handle.hpp"

namespace h5io {

namespace {

bool is_object(hid_t file, const std::string& path, H5O_type_t type) {
  H5O_info_t info{};
  const bool found =
      H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0 &&
      H5Oget_info_by_name2(file, path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 &&
      info.type == type;
  hdf5::error_stack_summary(); // a broken chain is an answer, not an error
  return found;
}

std::string child(const std::string& group, const std::string& name) {
  return (group == "/" ? "" : group) + "/" + name;
}

} // namespace

std::optional<std::string> nexus_default_signal(hid_t file) {
  std::string path = "/";
  for (int step = 0; step < 8; ++step) {
    hdf5::Group group(H5Gopen2(file, path.c_str(), H5P_DEFAULT));
    hdf5::error_stack_summary();
    if (!group.valid()) return std::nullopt;
    if (read_string_attribute(group.get(), "NX_class") == "NXdata") {
      const std::optional<std::string> signal = read_string_attribute(group.get(), "signal");
      if (!signal || signal->empty() || signal->find('/') != std::string::npos) return std::nullopt;
      const std::string found = child(path, *signal);
      if (!is_object(file, found, H5O_TYPE_DATASET)) return std::nullopt;
      return found;
    }
    const std::optional<std::string> next = read_string_attribute(group.get(), "default");
    if (!next || next->empty() || next->find('/') != std::string::npos) return std::nullopt;
    path = child(path, *next);
    if (!is_object(file, path, H5O_TYPE_GROUP)) return std::nullopt;
  }
  return std::nullopt;
}

} // namespace h5io
