#include "common/hdf5/hdf5_attributes.hpp"

#include "common/hdf5/hdf5_handle.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace h5io {

namespace {

// Reads one string from an attribute or dataset of string type.
template <class Read> std::optional<std::string> read_text(hid_t type, hid_t space, Read&& read) {
  if (H5Tget_class(type) != H5T_STRING) return std::nullopt;
  if (H5Sget_simple_extent_npoints(space) != 1) return std::nullopt;
  if (H5Tis_variable_str(type) > 0) {
    hdf5::Datatype memory(H5Tcopy(H5T_C_S1));
    H5Tset_size(memory.get(), H5T_VARIABLE);
    H5Tset_cset(memory.get(), H5Tget_cset(type));
    char* text = nullptr;
    if (read(memory.get(), &text) < 0 || text == nullptr) return std::nullopt;
    std::string result(text);
    H5free_memory(text);
    return result;
  }
  const size_t size = H5Tget_size(type);
  std::string buffer(size + 1, '\0');
  hdf5::Datatype memory(H5Tcopy(H5T_C_S1));
  H5Tset_size(memory.get(), size + 1);
  H5Tset_strpad(memory.get(), H5T_STR_NULLTERM);
  if (read(memory.get(), buffer.data()) < 0) return std::nullopt;
  buffer.resize(buffer.find('\0') == std::string::npos ? size : buffer.find('\0'));
  return buffer;
}

} // namespace

std::optional<std::string> read_string_attribute(hid_t object, const std::string& name) {
  if (H5Aexists(object, name.c_str()) <= 0) {
    hdf5::error_stack_summary();
    return std::nullopt;
  }
  hdf5::Attribute attribute(H5Aopen(object, name.c_str(), H5P_DEFAULT));
  if (!attribute.valid()) return std::nullopt;
  hdf5::Datatype type(H5Aget_type(attribute.get()));
  hdf5::Dataspace space(H5Aget_space(attribute.get()));
  auto text = read_text(type.get(), space.get(), [&](hid_t memory, void* buffer) {
    return H5Aread(attribute.get(), memory, buffer);
  });
  hdf5::error_stack_summary();
  return text;
}

std::optional<std::string> read_string_dataset(hid_t file, const std::string& path) {
  hdf5::Dataset dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  if (!dataset.valid()) {
    hdf5::error_stack_summary();
    return std::nullopt;
  }
  hdf5::Datatype type(H5Dget_type(dataset.get()));
  hdf5::Dataspace space(H5Dget_space(dataset.get()));
  auto text = read_text(type.get(), space.get(), [&](hid_t memory, void* buffer) {
    return H5Dread(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
  });
  hdf5::error_stack_summary();
  return text;
}

namespace {

hdf5::Datatype string_type(StringStyle style, size_t length) {
  hdf5::Datatype type(H5Tcopy(H5T_C_S1));
  if (style == StringStyle::variable_utf8) {
    H5Tset_size(type.get(), H5T_VARIABLE);
    H5Tset_cset(type.get(), H5T_CSET_UTF8);
  } else {
    H5Tset_size(type.get(), std::max<size_t>(1, length));
    H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  }
  return type;
}

// What H5Awrite/H5Dwrite take for a string of `style`.
const void* string_buffer(StringStyle style, const char* const& text) {
  return style == StringStyle::variable_utf8 ? static_cast<const void*>(&text)
                                             : static_cast<const void*>(text);
}

} // namespace

void write_string_attribute(hid_t object, const std::string& name, const std::string& value,
                            StringStyle style) {
  const hdf5::Datatype type = string_type(style, value.size());
  hdf5::Dataspace scalar(H5Screate(H5S_SCALAR));
  if (H5Aexists(object, name.c_str()) > 0) H5Adelete(object, name.c_str());
  hdf5::Attribute attribute(hdf5::check(
      H5Acreate2(object, name.c_str(), type.get(), scalar.get(), H5P_DEFAULT, H5P_DEFAULT),
      fmt::format("cannot create attribute '{}'", name)));
  const char* text = value.c_str();
  hdf5::check_status(H5Awrite(attribute.get(), type.get(), string_buffer(style, text)),
                     fmt::format("cannot write attribute '{}'", name));
}

void write_string_array_attribute(hid_t object, const std::string& name,
                                  const std::vector<std::string>& values) {
  const hdf5::Datatype type = string_type(StringStyle::variable_utf8, 0);
  const hsize_t count = values.size();
  hdf5::Dataspace space(H5Screate_simple(1, &count, nullptr));
  if (H5Aexists(object, name.c_str()) > 0) H5Adelete(object, name.c_str());
  hdf5::Attribute attribute(hdf5::check(
      H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
      fmt::format("cannot create attribute '{}'", name)));
  std::vector<const char*> texts;
  for (const std::string& value : values) texts.push_back(value.c_str());
  hdf5::check_status(H5Awrite(attribute.get(), type.get(), texts.data()),
                     fmt::format("cannot write attribute '{}'", name));
}

void write_string_dataset(hid_t parent, const std::string& name, const std::string& value) {
  const hdf5::Datatype type = string_type(StringStyle::variable_utf8, value.size());
  hdf5::Dataspace scalar(H5Screate(H5S_SCALAR));
  hdf5::Dataset dataset(hdf5::check(H5Dcreate2(parent, name.c_str(), type.get(), scalar.get(),
                                               H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                    fmt::format("cannot create dataset '{}'", name)));
  const char* text = value.c_str();
  hdf5::check_status(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &text),
                     fmt::format("cannot write dataset '{}'", name));
}

void write_attributes(hid_t file, const std::string& path,
                      const std::vector<AttributeValue>& attributes) {
  hdf5::Object object(hdf5::check(H5Oopen(file, path.c_str(), H5P_DEFAULT),
                                  fmt::format("cannot open '{}' to annotate it", path)));
  for (const AttributeValue& attribute : attributes) {
    if (const auto* text = std::get_if<std::string>(&attribute.value)) {
      write_string_attribute(object.get(), attribute.name, *text);
      continue;
    }
    const bool whole = std::holds_alternative<int64_t>(attribute.value);
    const hid_t type = whole ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
    const void* value = whole ? static_cast<const void*>(&std::get<int64_t>(attribute.value))
                              : static_cast<const void*>(&std::get<double>(attribute.value));
    if (H5Aexists(object.get(), attribute.name.c_str()) > 0)
      H5Adelete(object.get(), attribute.name.c_str());
    hdf5::Dataspace scalar(H5Screate(H5S_SCALAR));
    hdf5::Attribute handle(
        hdf5::check(H5Acreate2(object.get(), attribute.name.c_str(), type, scalar.get(),
                               H5P_DEFAULT, H5P_DEFAULT),
                    fmt::format("cannot create attribute '{}' on '{}'", attribute.name, path)));
    hdf5::check_status(H5Awrite(handle.get(), type, value),
                       fmt::format("cannot write attribute '{}' on '{}'", attribute.name, path));
  }
}

} // namespace h5io
