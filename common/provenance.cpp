#include "common/provenance.hpp"

#include "common/hdf5_handle.hpp"

#include <fmt/format.h>

#include <ctime>

namespace h5io {

namespace {

void write_string(hid_t group, const std::string& name, const std::string& value) {
  hdf5::Datatype type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  hdf5::Dataspace scalar(H5Screate(H5S_SCALAR));
  hdf5::Dataset dataset(hdf5::check(H5Dcreate2(group, name.c_str(), type.get(), scalar.get(),
                                               H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                    fmt::format("cannot write provenance field '{}'", name)));
  const char* text = value.c_str();
  hdf5::check_status(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &text),
                     fmt::format("cannot write provenance field '{}'", name));
}

} // namespace

void write_provenance(const std::filesystem::path& file, const nlohmann::json& record) {
  hdf5::File output(hdf5::check(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT),
                                fmt::format("cannot reopen '{}' for provenance", file.string())));
  hdf5::Group group(
      hdf5::check(H5Gcreate2(output.get(), kProvenanceGroup, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                  fmt::format("cannot create {} in '{}'", kProvenanceGroup, file.string())));
  for (const auto& [key, value] : record.items())
    write_string(group.get(), key, value.is_string() ? value.get<std::string>() : value.dump());
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
