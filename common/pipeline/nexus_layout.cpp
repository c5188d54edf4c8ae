#include "common/pipeline/nexus_layout.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace h5io {

namespace {

// Links h5io writes under the entry besides the NXdata groups.
constexpr const char* kEntryFields[] = {"process", "title", "definition", "start_time", "end_time"};

std::string parent_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

// `wanted`, or wanted_2, wanted_3, ... : the first not in `taken`, which
// then holds it.
std::string claim_name(const std::string& wanted, std::set<std::string>& taken) {
  std::string name = wanted;
  for (int n = 2; taken.contains(name); ++n) name = fmt::format("{}_{}", wanted, n);
  taken.insert(name);
  return name;
}

// The names of the links directly under `group` that the outputs make
// (datasets, and the groups on the way to deeper ones).
std::set<std::string> children_of(const std::string& group,
                                  const std::vector<NexusOutput>& outputs) {
  std::set<std::string> names;
  const std::string prefix = group == "/" ? "/" : group + "/";
  for (const NexusOutput& output : outputs)
    if (output.location.starts_with(prefix)) {
      const std::string rest = output.location.substr(prefix.size());
      names.insert(rest.substr(0, rest.find('/')));
    }
  return names;
}

std::vector<PlannedAxis> plan_axes(const NexusOutput& output, std::set<std::string>& taken) {
  std::vector<PlannedAxis> axes;
  for (int d = 0; d < static_cast<int>(output.shape.size()); ++d) {
    PlannedAxis axis;
    axis.length = output.shape[static_cast<size_t>(d)];
    const auto found = output.hints.axes.find(d);
    const AxisDescription described =
        found == output.hints.axes.end() ? AxisDescription{} : found->second;
    const bool growing = d == output.growing_axis;
    axis.name =
        claim_name(described.name.value_or(growing ? "slice" : fmt::format("dim{}", d)), taken);
    axis.index = !described.scale && !described.offset;
    axis.scale = described.scale.value_or(1.0);
    axis.offset = described.offset.value_or(0.0);
    axis.units = described.units.value_or("");
    axis.long_name =
        described.long_name.value_or(described.name ? ""
                                     : growing      ? "slice number"
                                                    : fmt::format("index along dimension {}", d));
    axes.push_back(std::move(axis));
  }
  return axes;
}

} // namespace

std::optional<std::string> reserved_output_location(const std::string& location) {
  if (location == kEntryPath)
    return fmt::format("'{}' is the NeXus entry (NXentry) h5io makes of every output file",
                       kEntryPath);
  for (const char* field : kEntryFields) {
    const std::string path = fmt::format("{}/{}", kEntryPath, field);
    if (location == path || location.starts_with(path + "/"))
      return fmt::format("'{}' is written by h5io (the NeXus entry's {})", path,
                         std::string_view(field) == "process" ? "provenance, an NXprocess" : field);
  }
  return std::nullopt;
}

NexusPlan plan_nexus_layout(const std::vector<NexusOutput>& outputs) {
  NexusPlan plan;
  // Names under the entry already in use: the outputs' own links there,
  // and what h5io writes.
  std::set<std::string> entry_names = children_of(kEntryPath, outputs);
  entry_names.insert(std::begin(kEntryFields), std::end(kEntryFields));
  std::set<std::string> claimed_parents;
  std::optional<size_t> marked_default;

  for (size_t j = 0; j < outputs.size(); ++j) {
    const NexusOutput& output = outputs[j];
    const std::string parent = parent_of(output.location);
    PlannedNxdata nxdata;
    nxdata.source = output.location;
    std::set<std::string> taken;
    if (parent_of(parent) == kEntryPath && !claimed_parents.contains(parent)) {
      claimed_parents.insert(parent);
      nxdata.group = parent;
      nxdata.new_group = false;
      nxdata.signal = base_name(output.location);
      taken = children_of(parent, outputs);
    } else {
      std::string wanted = output.location.substr(1);
      if (wanted.starts_with("entry/")) wanted = wanted.substr(6);
      std::replace(wanted.begin(), wanted.end(), '/', '_');
      nxdata.group = fmt::format("{}/{}", kEntryPath, claim_name(wanted, entry_names));
      nxdata.signal = base_name(output.location);
      taken.insert(nxdata.signal);
    }
    nxdata.axes = plan_axes(output, taken);
    plan.nxdata.push_back(std::move(nxdata));

    if (output.hints.is_default) {
      if (marked_default)
        throw Error(fmt::format("outputs '{}' and '{}' are both marked nexus:default; one NXdata "
                                "can be the entry's default",
                                outputs[*marked_default].location, output.location));
      marked_default = j;
    }
    if (output.hints.definition) {
      if (plan.definition && *plan.definition != *output.hints.definition)
        throw Error(fmt::format("output '{}' names the NeXus definition {}, but an earlier "
                                "output names {}; the entry has one",
                                output.location, *output.hints.definition, *plan.definition));
      plan.definition = output.hints.definition;
    }
  }
  plan.default_nxdata = marked_default.value_or(0);
  return plan;
}

} // namespace h5io
