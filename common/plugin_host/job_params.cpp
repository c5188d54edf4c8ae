#include "common/plugin_host/job_params.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace h5io {

namespace {

bool valid_key(const std::string& key) {
  if (key.empty() || key.size() > 128) return false;
  if (!(std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_')) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

template <class T> bool parse_whole(const std::string& text, T& value) {
  const char* begin = text.data() + (text.starts_with('+') ? 1 : 0);
  const char* end = text.data() + text.size();
  if (begin == end) return false;
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  return ec == std::errc() && ptr == end;
}

} // namespace

JobParams JobParams::parse(const std::vector<std::string>& key_values) {
  JobParams params;
  for (const auto& entry : key_values) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos)
      throw Error(
          fmt::format("bad parameter '{}': expected KEY=VALUE, e.g. --param axis=1", entry));
    params.add_checked(entry, entry.substr(0, eq), entry.substr(eq + 1));
  }
  return params;
}

JobParams JobParams::from_json(const nlohmann::json& object) {
  if (!object.is_object())
    throw Error(
        fmt::format("parameters must be a JSON object of KEY: value, got {}", object.type_name()));
  JobParams params;
  for (const auto& [key, value] : object.items()) {
    std::string text;
    if (value.is_string()) text = value.get<std::string>();
    // dump() writes numbers as their shortest exact text (128.5, 1e+300, 7),
    // which `add` then types as it would the same text on a command line.
    else if (value.is_number() || value.is_boolean())
      text = value.dump();
    else
      throw Error(fmt::format("bad parameter '{}': the value must be a string, number or "
                              "boolean, got {}",
                              key, value.type_name()));
    params.add_checked(key, key, text);
  }
  return params;
}

void JobParams::add_checked(const std::string& entry, const std::string& key,
                            const std::string& text) {
  if (!valid_key(key))
    throw Error(fmt::format("bad parameter '{}': the key '{}' must start with a letter or '_' "
                            "and hold only letters, digits, '_', '.' and '-'",
                            entry, key));
  add(key, text);
}

void JobParams::add(const std::string& key, const std::string& text) {
  if (std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; }))
    throw Error(fmt::format("bad parameter '{}': given more than once", key));
  Entry entry{key, text, H5IO_PARAM_STRING, 0, 0.0};
  int64_t whole = 0;
  double real = 0.0;
  if (parse_whole(text, whole)) {
    entry.type = H5IO_PARAM_INT;
    entry.int_value = whole;
    entry.float_value = static_cast<double>(whole);
  } else if (parse_whole(text, real) && std::isfinite(real)) {
    entry.type = H5IO_PARAM_FLOAT;
    entry.float_value = real;
  } else if (text == "true" || text == "false") {
    entry.type = H5IO_PARAM_BOOL;
    entry.int_value = text == "true" ? 1 : 0;
  }
  entries_.push_back(std::move(entry));
}

std::vector<h5io_param_t> JobParams::view() const {
  std::vector<h5io_param_t> view;
  for (const auto& e : entries_)
    view.push_back(h5io_param_t{e.key.c_str(), e.type, e.text.c_str(), e.int_value, e.float_value});
  return view;
}

JobParams JobParams::without_prefix(std::string_view prefix) const {
  JobParams kept;
  for (const auto& e : entries_)
    if (!std::string_view(e.key).starts_with(prefix)) kept.entries_.push_back(e);
  return kept;
}

nlohmann::json typed_json_value(h5io_param_type_t type, const std::string& text, int64_t int_value,
                                double float_value) {
  switch (type) {
  case H5IO_PARAM_INT: return int_value;
  case H5IO_PARAM_FLOAT: return float_value;
  case H5IO_PARAM_BOOL: return int_value != 0;
  default: return text;
  }
}

nlohmann::json JobParams::to_json() const {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& e : entries_)
    json[e.key] = typed_json_value(e.type, e.text, e.int_value, e.float_value);
  return json;
}

} // namespace h5io
