#include "common/pipeline/nexus_writer.hpp"

#include "common/hdf5/hdf5_attributes.hpp"
#include "common/hdf5/hdf5_handle.hpp"
#include "common/util/version.hpp"

#include <fmt/format.h>

#include <vector>

namespace h5io {

namespace {

hdf5::Group open_or_create_group(hid_t file, const std::string& path) {
  if (H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0)
    return hdf5::Group(hdf5::check(H5Gopen2(file, path.c_str(), H5P_DEFAULT),
                                   fmt::format("cannot open group '{}'", path)));
  return hdf5::Group(
      hdf5::check(H5Gcreate2(file, path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                  fmt::format("cannot create group '{}'", path)));
}

template <class T>
void write_vector(hid_t group, const std::string& name, hid_t file_type, hid_t memory_type,
                  const std::vector<T>& values) {
  const hsize_t count = values.size();
  hdf5::Dataspace space(H5Screate_simple(1, &count, nullptr));
  hdf5::Dataset dataset(hdf5::check(H5Dcreate2(group, name.c_str(), file_type, space.get(),
                                               H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                    fmt::format("cannot create axis '{}'", name)));
  hdf5::check_status(
      H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
      fmt::format("cannot write axis '{}'", name));
}

void write_axis(hid_t group, const PlannedAxis& axis) {
  const auto n = static_cast<size_t>(axis.length);
  if (axis.index) {
    std::vector<int64_t> values(n);
    for (size_t i = 0; i < n; ++i) values[i] = static_cast<int64_t>(i);
    write_vector(group, axis.name, H5T_STD_I64LE, H5T_NATIVE_INT64, values);
  } else {
    std::vector<double> values(n);
    for (size_t i = 0; i < n; ++i) values[i] = axis.offset + axis.scale * static_cast<double>(i);
    write_vector(group, axis.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values);
  }
  std::vector<AttributeValue> attributes;
  if (!axis.units.empty()) attributes.push_back({"units", axis.units});
  if (!axis.long_name.empty()) attributes.push_back({"long_name", axis.long_name});
  hdf5::Object object(hdf5::check(H5Oopen(group, axis.name.c_str(), H5P_DEFAULT),
                                  fmt::format("cannot open axis '{}'", axis.name)));
  for (const AttributeValue& attribute : attributes)
    write_string_attribute(object.get(), attribute.name, std::get<std::string>(attribute.value));
}

void write_nxdata(hid_t file, const PlannedNxdata& nxdata) {
  hdf5::Group group = open_or_create_group(file, nxdata.group);
  if (nxdata.new_group) {
    // NeXus links by hard link, the original naming itself in `target`.
    hdf5::check_status(H5Lcreate_hard(file, nxdata.source.c_str(), group.get(),
                                      nxdata.signal.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                       fmt::format("cannot link '{}' into '{}'", nxdata.source, nxdata.group));
    write_attributes(file, nxdata.source, {{"target", nxdata.source}});
  }
  write_string_attribute(group.get(), "NX_class", "NXdata");
  write_string_attribute(group.get(), "signal", nxdata.signal);
  std::vector<std::string> names;
  std::vector<AttributeValue> indices;
  for (size_t d = 0; d < nxdata.axes.size(); ++d) {
    names.push_back(nxdata.axes[d].name);
    indices.push_back({nxdata.axes[d].name + "_indices", static_cast<int64_t>(d)});
    write_axis(group.get(), nxdata.axes[d]);
  }
  write_string_array_attribute(group.get(), "axes", names);
  write_attributes(file, nxdata.group, indices);
}

} // namespace

void write_nexus_layout(hid_t file, const NexusPlan& plan, const EntryFields& fields) {
  write_string_attribute(file, "default", std::string(kEntryPath).substr(1));
  write_string_attribute(file, "creator", fmt::format("h5io {}", version()));
  hdf5::Group entry = open_or_create_group(file, kEntryPath);
  write_string_attribute(entry.get(), "NX_class", "NXentry");
  write_string_dataset(entry.get(), "title", fields.title);
  write_string_dataset(entry.get(), "start_time", fields.start_time);
  write_string_dataset(entry.get(), "end_time", fields.end_time);
  if (plan.definition) write_string_dataset(entry.get(), "definition", *plan.definition);
  for (const PlannedNxdata& nxdata : plan.nxdata) write_nxdata(file, nxdata);
  if (!plan.nxdata.empty()) {
    const std::string& group = plan.nxdata[plan.default_nxdata].group;
    write_string_attribute(entry.get(), "default", group.substr(group.rfind('/') + 1));
  }
}

} // namespace h5io
