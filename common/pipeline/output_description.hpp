#pragma once
// What a library's describe_output answer says about one output: attributes
// for the dataset, and `nexus:` entries, which are not attributes but tell
// the host how to show the output in the file's NeXus tree: the names,
// units and scales of its axes, whether its NXdata is the entry's default,
// and the entry's application definition (h5io_plugin.h, "NeXus").
// No HDF5 here: the master's check and the pipeline refuse the same answers.

#include "common/util/attribute_value.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace h5io {

inline constexpr std::string_view kNexusKeyPrefix = "nexus:";

// One dimension's axis as the library describes it; what it leaves out the
// host makes up (an index axis: 0, 1, 2, ...).
struct AxisDescription {
  std::optional<std::string> name;
  std::optional<std::string> units;
  std::optional<std::string> long_name;
  std::optional<double> scale;  // step between neighbours
  std::optional<double> offset; // value at index 0
};

struct NexusHints {
  std::map<int, AxisDescription> axes; // by dimension of the dataset as stored
  bool is_default = false;             // this output's NXdata is the entry's default
  std::optional<std::string> definition;
};

struct OutputDescription {
  std::vector<AttributeValue> attributes; // written on the dataset
  NexusHints nexus;
};

// Splits a describe_output answer for an output stored with `rank`
// dimensions. Throws Error, starting with `what` ("library 'x', output 0
// '/path'"), for an unknown `nexus:` key, an axis outside 0 .. rank-1, a
// value of the wrong type, a name that is not an identifier, or a scale or
// offset that is not finite.
OutputDescription read_output_description(std::vector<AttributeValue> answer, int rank,
                                          const std::string& what);

// Whether `name` may name an HDF5 link the NeXus way: a letter or '_', then
// letters, digits and '_', at most 64 characters.
bool is_nexus_name(std::string_view name);

} // namespace h5io
