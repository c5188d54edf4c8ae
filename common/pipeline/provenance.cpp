#include "common/pipeline/provenance.hpp"

#include "common/hdf5/hdf5_attributes.hpp"
#include "common/hdf5/hdf5_handle.hpp"
#include "common/pipeline/nexus_layout.hpp"

#include <fmt/format.h>

#include <ctime>

namespace h5io {

namespace {

void write_scalar(hid_t parent, const std::string& name, hid_t file_type, hid_t memory_type,
                  const void* value) {
  hdf5::Dataspace scalar(H5Screate(H5S_SCALAR));
  hdf5::Dataset dataset(hdf5::check(H5Dcreate2(parent, name.c_str(), file_type, scalar.get(),
                                               H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                    fmt::format("cannot create dataset '{}'", name)));
  hdf5::check_status(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, value),
                     fmt::format("cannot write dataset '{}'", name));
}

// h5py's bool: an 8-bit enum FALSE = 0, TRUE = 1, read back as numpy.bool_.
hdf5::Datatype bool_type() {
  hdf5::Datatype type(hdf5::check(H5Tenum_create(H5T_NATIVE_INT8), "cannot make a bool type"));
  const int8_t no = 0, yes = 1;
  H5Tenum_insert(type.get(), "FALSE", &no);
  H5Tenum_insert(type.get(), "TRUE", &yes);
  return type;
}

void write_parameters(hid_t process, const JobParams& parameters) {
  hdf5::Group group(
      hdf5::check(H5Gcreate2(process, "parameters", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                  fmt::format("cannot create {}/parameters", kProcessPath)));
  write_string_attribute(group.get(), "NX_class", "NXparameters");
  for (const h5io_param_t& p : parameters.view()) {
    switch (p.type) {
    case H5IO_PARAM_INT:
      write_scalar(group.get(), p.key, H5T_STD_I64LE, H5T_NATIVE_INT64, &p.int_value);
      break;
    case H5IO_PARAM_FLOAT:
      write_scalar(group.get(), p.key, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &p.float_value);
      break;
    case H5IO_PARAM_BOOL: {
      const hdf5::Datatype type = bool_type();
      const auto value = static_cast<int8_t>(p.int_value);
      write_scalar(group.get(), p.key, type.get(), type.get(), &value);
      break;
    }
    default: write_string_dataset(group.get(), p.key, p.text); break;
    }
  }
}

} // namespace

void write_provenance(hid_t file, const ProvenanceRecord& record) {
  hdf5::Group process(
      hdf5::check(H5Gcreate2(file, kProcessPath, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                  fmt::format("cannot create {}", kProcessPath)));
  write_string_attribute(process.get(), "NX_class", "NXprocess");
  write_string_dataset(process.get(), "program", record.program);
  write_string_dataset(process.get(), "version", record.version);
  write_string_dataset(process.get(), "date", record.date);
  write_scalar(process.get(), "sequence_index", H5T_STD_I64LE, H5T_NATIVE_INT64,
               &record.sequence_index);
  write_parameters(process.get(), record.parameters);
  for (const auto& [key, value] : record.fields.items())
    write_string_dataset(process.get(), key,
                         value.is_string() ? value.get<std::string>() : value.dump());
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
