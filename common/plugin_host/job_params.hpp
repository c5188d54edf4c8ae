#pragma once
// Typed job parameters: parsed from `--param KEY=VALUE` or from a job
// message's "params" object, handed to libraries as the ABI's h5io_param_t
// array.

#include "h5io_plugin.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace h5io {

// A typed value as JSON of its own type (a number, a boolean or the text).
nlohmann::json typed_json_value(h5io_param_type_t type, const std::string& text, int64_t int_value,
                                double float_value);

class JobParams {
public:
  // Each entry is KEY=VALUE. The value's type is inferred: a whole number is
  // INT, a finite decimal number FLOAT, true/false BOOL, anything else STRING.
  // Throws Error naming the bad entry (no '=', empty or invalid key, repeat).
  static JobParams parse(const std::vector<std::string>& key_values);

  // {"KEY": value, ...} from a job message. Each value, a string, number or
  // boolean, is turned into text and typed exactly as `parse` types it, so
  // {"center": "128.5"}, {"center": 128.5} and `--param center=128.5` are
  // the same parameter. Throws Error for other JSON types, bad keys, or
  // anything but an object.
  static JobParams from_json(const nlohmann::json& object);

  // The C view for h5io_init: it points into this object, so it is valid
  // while this object is alive and unchanged.
  std::vector<h5io_param_t> view() const;
  size_t size() const { return entries_.size(); }

  // A copy without the parameters whose key starts with `prefix`: those the
  // host consumes itself (scan.*) never reach the library.
  JobParams without_prefix(std::string_view prefix) const;

  // {"key": value, ...} with JSON types matching the parameter types.
  nlohmann::json to_json() const;

private:
  struct Entry {
    std::string key;
    std::string text;
    h5io_param_type_t type;
    int64_t int_value;
    double float_value;
  };
  // `entry` is what the user wrote, for the error text.
  void add_checked(const std::string& entry, const std::string& key, const std::string& text);
  void add(const std::string& key, const std::string& text);

  std::vector<Entry> entries_;
};

} // namespace h5io
