#pragma once
// A list of typed key/value pairs in the ABI's h5io_param_t form, owning its
// keys and texts: describe_output's attributes and job_setup's results. The
// pointers handed out stay valid until the list is next changed.

#include "h5io_plugin.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace h5io::fbp {

class ParamList {
public:
  void clear() {
    entries_.clear();
    params_.clear();
  }
  void text(std::string key, std::string value) {
    entries_.push_back({std::move(key), std::move(value), H5IO_PARAM_STRING, 0, 0.0});
  }
  void number(std::string key, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.10g", value);
    entries_.push_back({std::move(key), buffer, H5IO_PARAM_FLOAT, 0, value});
  }
  void integer(std::string key, int64_t value, h5io_param_type_t type = H5IO_PARAM_INT) {
    entries_.push_back(
        {std::move(key), std::to_string(value), type, value, static_cast<double>(value)});
  }
  // Appends a copy of another list's entries.
  void append(const ParamList& other) {
    entries_.insert(entries_.end(), other.entries_.begin(), other.entries_.end());
  }

  int size() const { return static_cast<int>(entries_.size()); }
  // The ABI view; valid until the list changes.
  const h5io_param_t* view() {
    params_.clear();
    for (const Entry& e : entries_)
      params_.push_back({e.key.c_str(), e.type, e.text.c_str(), e.int_value, e.float_value});
    return params_.data();
  }

private:
  struct Entry {
    std::string key, text;
    h5io_param_type_t type;
    int64_t int_value;
    double float_value;
  };
  std::vector<Entry> entries_;
  std::vector<h5io_param_t> params_;
};

} // namespace h5io::fbp
