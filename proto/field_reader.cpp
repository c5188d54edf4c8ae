#include "proto/field_reader.hpp"

#include "proto/frame.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace h5io::proto::detail {

namespace {

// Edit distance, for "did you mean" hints on misspelt field names.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "a", "a or b", "a, b or c".
std::string alternatives(const std::vector<std::string_view>& names) {
  std::string text;
  for (size_t i = 0; i < names.size(); ++i)
    text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + std::string(names[i]);
  return text;
}

// A key as it may be quoted in an error: short, and without the bytes that
// would make the reply itself hard to read.
std::string shown(std::string_view key) {
  constexpr size_t kMaxShown = 64;
  return key.size() > kMaxShown ? std::string(key.substr(0, kMaxShown)) + "..." : std::string(key);
}

} // namespace

FieldReader::FieldReader(const nlohmann::json& object, std::string context)
    : object_(object), context_(std::move(context)) {
  if (!object_.is_object())
    throw ProtocolError(
        fmt::format("{} must be a JSON object, got {}", context_, json_type_name(object_)));
}

FieldReader::FieldReader(const nlohmann::json& object, std::string context,
                         std::initializer_list<std::string_view> allowed, bool typed)
    : FieldReader(object, std::move(context)) {
  for (const auto& [key, value] : object_.items()) {
    if ((typed && key == "type") || std::find(allowed.begin(), allowed.end(), key) != allowed.end())
      continue;
    std::string hint;
    for (const std::string_view candidate : allowed)
      if (edit_distance(key, candidate) <= 2)
        hint = fmt::format(" (did you mean '{}'?)", candidate);
    throw ProtocolError(fmt::format("unknown field '{}' in {}{}", shown(key), context_, hint));
  }
}

void FieldReader::fail(std::string_view problem) const {
  throw ProtocolError(fmt::format("{}: {}", context_, problem));
}

const nlohmann::json* FieldReader::find(std::string_view key) const {
  const auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

const nlohmann::json& FieldReader::required(std::string_view key) const {
  const nlohmann::json* value = find(key);
  if (!value) fail(fmt::format("missing field '{}'", key));
  return *value;
}

std::string FieldReader::checked_string(std::string_view key, const nlohmann::json& value,
                                        bool allow_empty, bool allow_nul) const {
  if (!value.is_string())
    fail(fmt::format("field '{}' must be a string, got {}", key, json_type_name(value)));
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() > kMaxStringBytes)
    fail(fmt::format("field '{}' is {} bytes long; the limit is {}", key, text.size(),
                     kMaxStringBytes));
  if (text.empty() && !allow_empty) fail(fmt::format("field '{}' must not be empty", key));
  // JSON may carry "\u0000", but paths, names and parameter values end up
  // as C strings (HDF5, dlopen, libraries): a NUL would silently cut them
  // and the master would check one path while the worker opens another.
  if (!allow_nul && text.find('\0') != std::string::npos)
    fail(fmt::format("field '{}' contains a NUL character (\\u0000)", key));
  return text;
}

std::string FieldReader::name(std::string_view key) const {
  return checked_string(key, required(key), false);
}

std::string FieldReader::text(std::string_view key) const {
  // Free text (errors, reasons) is only shown, never used as a C string.
  return checked_string(key, required(key), true, true);
}

std::optional<std::string> FieldReader::optional_name(std::string_view key) const {
  const nlohmann::json* value = find(key);
  if (!value) return std::nullopt;
  return checked_string(key, *value, false);
}

std::optional<std::string> FieldReader::optional_text(std::string_view key) const {
  if (!find(key)) return std::nullopt;
  return text(key);
}

std::optional<std::string> FieldReader::nullable_name(std::string_view key) const {
  const nlohmann::json* value = find(key);
  if (!value || value->is_null()) return std::nullopt;
  return checked_string(key, *value, false);
}

int64_t FieldReader::integer(std::string_view key, int64_t min, int64_t max) const {
  return checked_integer(key, required(key), min, max);
}

int64_t FieldReader::checked_integer(std::string_view key, const nlohmann::json& value, int64_t min,
                                     int64_t max) const {
  const auto range = [&] {
    return max == INT64_MAX ? fmt::format("a whole number of at least {}", min)
                            : fmt::format("a whole number from {} to {}", min, max);
  };
  if (!value.is_number_integer())
    fail(fmt::format("field '{}' must be {}, got {}", key, range(),
                     value.is_number() ? value.dump() : json_type_name(value)));
  // nlohmann stores every non-negative whole number as unsigned; compared as
  // unsigned first, values beyond int64_t are out of every range we accept.
  const bool in_range = value.is_number_unsigned()
                            ? value.get<uint64_t>() <= static_cast<uint64_t>(max) &&
                                  (min <= 0 || value.get<uint64_t>() >= static_cast<uint64_t>(min))
                            : value.get<int64_t>() >= min && value.get<int64_t>() <= max;
  if (!in_range) fail(fmt::format("field '{}' must be {}, got {}", key, range(), value.dump()));
  return value.get<int64_t>();
}

std::optional<int64_t> FieldReader::optional_integer(std::string_view key, int64_t min,
                                                     int64_t max) const {
  if (!find(key)) return std::nullopt;
  return integer(key, min, max);
}

std::optional<bool> FieldReader::optional_boolean(std::string_view key) const {
  if (!find(key)) return std::nullopt;
  return boolean(key);
}

bool FieldReader::boolean(std::string_view key) const {
  const nlohmann::json& value = required(key);
  if (!value.is_boolean())
    fail(fmt::format("field '{}' must be true or false, got {}", key, json_type_name(value)));
  return value.get<bool>();
}

double FieldReader::number(std::string_view key) const {
  const nlohmann::json& value = required(key);
  if (!value.is_number())
    fail(fmt::format("field '{}' must be a number, got {}", key, json_type_name(value)));
  return value.get<double>();
}

std::optional<double> FieldReader::nullable_number(std::string_view key) const {
  const nlohmann::json* value = find(key);
  if (!value || value->is_null()) return std::nullopt;
  return number(key);
}

std::vector<int64_t> FieldReader::indices(std::string_view key, size_t min_size) const {
  std::vector<int64_t> values;
  const nlohmann::json& elements = array(key, min_size);
  values.reserve(elements.size());
  for (size_t i = 0; i < elements.size(); ++i)
    values.push_back(checked_integer(fmt::format("{}[{}]", key, i), elements[i], 0, INT64_MAX));
  return values;
}

const nlohmann::json& FieldReader::array(std::string_view key, size_t min_size) const {
  const nlohmann::json& value = required(key);
  if (!value.is_array())
    fail(fmt::format("field '{}' must be an array, got {}", key, json_type_name(value)));
  if (value.size() > kMaxUnitsPerMessage)
    fail(fmt::format("field '{}' has {} elements; the limit is {}", key, value.size(),
                     kMaxUnitsPerMessage));
  if (value.size() < min_size)
    fail(fmt::format("field '{}' must have at least {} element{}", key, min_size,
                     min_size == 1 ? "" : "s"));
  return value;
}

nlohmann::json FieldReader::params(std::string_view key) const {
  const nlohmann::json* value = find(key);
  if (!value) return nlohmann::json::object();
  if (!value->is_object())
    fail(fmt::format("field '{}' must be an object of KEY: value, got {}", key,
                     json_type_name(*value)));
  if (value->size() > kMaxParams)
    fail(fmt::format("field '{}' has {} entries; the limit is {}", key, value->size(), kMaxParams));
  for (const auto& [name, entry] : value->items()) {
    if (name.size() > kMaxStringBytes)
      fail(fmt::format("a key of '{}' is {} bytes long; the limit is {}", key, name.size(),
                       kMaxStringBytes));
    if (name.find('\0') != std::string::npos)
      fail(fmt::format("a key of '{}' contains a NUL character (\\u0000)", key));
    if (entry.is_string())
      checked_string(fmt::format("{}.{}", key, shown(name)), entry, true);
    else if (!entry.is_number() && !entry.is_boolean())
      fail(fmt::format("'{}.{}' must be a string, number or boolean, got {}", key, shown(name),
                       json_type_name(entry)));
  }
  return *value;
}

size_t message_type_index(const nlohmann::json& message,
                          const std::vector<std::string_view>& types) {
  const auto it = message.find("type");
  if (it == message.end())
    throw ProtocolError(fmt::format("message has no \"type\" (expected {})", alternatives(types)));
  if (!it->is_string())
    throw ProtocolError(fmt::format("field 'type' must be a string, got {}", json_type_name(*it)));
  const auto& type = it->get_ref<const std::string&>();
  for (size_t i = 0; i < types.size(); ++i)
    if (types[i] == type) return i;
  throw ProtocolError(
      fmt::format("unknown message type '{}' (expected {})", shown(type), alternatives(types)));
}

} // namespace h5io::proto::detail
