#include "common/provenance.hpp"

#include "common/hdf5_attributes.hpp"
#include "common/hdf5_handle.hpp"

#include <fmt/format.h>

#include <ctime>

namespace h5io {

void write_provenance(const std::filesystem::path& file, const nlohmann::json& record,
                      const OutputAnnotations& annotations) {
  hdf5::File output(hdf5::check(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT),
                                fmt::format("cannot reopen '{}' for provenance", file.string())));
  hdf5::Group group(
      hdf5::check(H5Gcreate2(output.get(), kProvenanceGroup, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                  fmt::format("cannot create {} in '{}'", kProvenanceGroup, file.string())));
  for (const auto& [key, value] : record.items())
    write_string_dataset(group.get(), key,
                         value.is_string() ? value.get<std::string>() : value.dump());
  for (const auto& [location, attributes] : annotations)
    write_attributes(output.get(), location, attributes);
  if (H5Lexists(output.get(), kJobSetupRecord, H5P_DEFAULT) > 0)
    hdf5::check_status(H5Ldelete(output.get(), kJobSetupRecord, H5P_DEFAULT),
                       fmt::format("cannot remove {} from '{}'", kJobSetupRecord, file.string()));
  hdf5::error_stack_summary();
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

} // namespace h5io
