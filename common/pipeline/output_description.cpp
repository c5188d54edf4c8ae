#include "common/pipeline/output_description.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <variant>

namespace h5io {

namespace {

constexpr const char* kKnownKeys =
    "nexus:axis<D>:name, nexus:axis<D>:units, nexus:axis<D>:long_name, nexus:axis<D>:scale, "
    "nexus:axis<D>:offset, nexus:default, nexus:definition";

const std::string* text_of(const AttributeValue& entry) {
  return std::get_if<std::string>(&entry.value);
}

std::optional<double> number_of(const AttributeValue& entry) {
  if (const auto* whole = std::get_if<int64_t>(&entry.value)) return static_cast<double>(*whole);
  if (const auto* real = std::get_if<double>(&entry.value)) return *real;
  return std::nullopt;
}

// "axis<D>:<field>" -> (D, field); nullopt when it is not of that form.
std::optional<std::pair<int, std::string_view>> axis_key(std::string_view key) {
  if (!key.starts_with("axis")) return std::nullopt;
  key.remove_prefix(4);
  const size_t colon = key.find(':');
  if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
  int dimension = -1;
  const auto [end, error] = std::from_chars(key.data(), key.data() + colon, dimension);
  if (error != std::errc() || end != key.data() + colon) return std::nullopt;
  return std::pair{dimension, key.substr(colon + 1)};
}

void read_axis_field(AxisDescription& axis, std::string_view field, const AttributeValue& entry,
                     const std::string& what) {
  const auto text = [&]() -> std::string {
    if (const std::string* value = text_of(entry)) return *value;
    throw Error(fmt::format("{}: '{}' must be text", what, entry.name));
  };
  const auto finite = [&]() -> double {
    const std::optional<double> value = number_of(entry);
    if (!value || !std::isfinite(*value))
      throw Error(fmt::format("{}: '{}' must be a finite number", what, entry.name));
    return *value;
  };
  if (field == "name") {
    axis.name = text();
    if (!is_nexus_name(*axis.name))
      throw Error(fmt::format("{}: '{}' is '{}'; an axis name is a letter or '_' followed by "
                              "letters, digits or '_' (at most 64)",
                              what, entry.name, *axis.name));
  } else if (field == "units") {
    axis.units = text();
  } else if (field == "long_name") {
    axis.long_name = text();
  } else if (field == "scale") {
    axis.scale = finite();
  } else if (field == "offset") {
    axis.offset = finite();
  } else {
    throw Error(fmt::format("{}: unknown key '{}' (h5io knows {})", what, entry.name, kKnownKeys));
  }
}

} // namespace

bool is_nexus_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(name[0]) && name[0] != '_') return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9') || c == '_'; });
}

OutputDescription read_output_description(std::vector<AttributeValue> answer, int rank,
                                          const std::string& what) {
  OutputDescription description;
  for (AttributeValue& entry : answer) {
    std::string_view key = entry.name;
    if (!key.starts_with(kNexusKeyPrefix)) {
      description.attributes.push_back(std::move(entry));
      continue;
    }
    key.remove_prefix(kNexusKeyPrefix.size());
    if (const auto axis = axis_key(key)) {
      if (axis->first < 0 || axis->first >= rank)
        throw Error(fmt::format("{}: '{}' names dimension {}, but the output has {} (0 to {})",
                                what, entry.name, axis->first, rank, rank - 1));
      read_axis_field(description.nexus.axes[axis->first], axis->second, entry, what);
    } else if (key == "default") {
      const auto* flag = std::get_if<int64_t>(&entry.value);
      if (flag == nullptr || (*flag != 0 && *flag != 1))
        throw Error(fmt::format("{}: '{}' must be a boolean (or 0 or 1)", what, entry.name));
      description.nexus.is_default = *flag == 1;
    } else if (key == "definition") {
      const std::string* text = text_of(entry);
      if (text == nullptr || !is_nexus_name(*text))
        throw Error(fmt::format("{}: '{}' must name a NeXus application definition, such as "
                                "NXtomoproc",
                                what, entry.name));
      description.nexus.definition = *text;
    } else {
      throw Error(
          fmt::format("{}: unknown key '{}' (h5io knows {})", what, entry.name, kKnownKeys));
    }
  }
  return description;
}

} // namespace h5io
