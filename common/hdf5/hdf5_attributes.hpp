#pragma once
// Reading and writing the small annotations HDF5 files carry: string
// attributes (NX_class, units) and string datasets (NeXus `definition`),
// written the way h5py and NeXus writers do (variable-length UTF-8).

#include "common/util/attribute_value.hpp"

#include <hdf5.h>

#include <optional>
#include <string>
#include <vector>

namespace h5io {

// The text of attribute `name` of object `object` (fixed- or variable-length
// string, scalar or one element), or nullopt if it is absent or not text.
std::optional<std::string> read_string_attribute(hid_t object, const std::string& name);

// The text held by the string dataset at `path`, or nullopt.
std::optional<std::string> read_string_dataset(hid_t file, const std::string& path);

// Writes (replacing) each attribute on the object at `path` in `file`.
void write_attributes(hid_t file, const std::string& path,
                      const std::vector<AttributeValue>& attributes);

// h5py writes str as variable-length UTF-8; the NeXus C API and Diamond's
// writers use fixed-length ASCII. Readers must accept both.
enum class StringStyle { variable_utf8, fixed_ascii };

// Writes (replacing) one string attribute.
void write_string_attribute(hid_t object, const std::string& name, const std::string& value,
                            StringStyle style = StringStyle::variable_utf8);

// Writes (replacing) a 1-D attribute of strings, as h5py writes a list of
// str (NeXus `axes`).
void write_string_array_attribute(hid_t object, const std::string& name,
                                  const std::vector<std::string>& values);

// Creates a scalar string dataset `name` under `parent`, as h5py writes
// `group[name] = "text"`.
void write_string_dataset(hid_t parent, const std::string& name, const std::string& value);

} // namespace h5io
