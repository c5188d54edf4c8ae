#include "output_attributes.hpp"

#include <cstdio>

namespace h5io::plugin {

void OutputAttributes::clear() {
  entries_.clear();
  params_.clear();
}

void OutputAttributes::add_text(std::string key, std::string value) {
  entries_.push_back({std::move(key), std::move(value), H5IO_PARAM_STRING, 0, 0.0});
}

void OutputAttributes::add_int(std::string key, int64_t value) {
  entries_.push_back(
      {std::move(key), std::to_string(value), H5IO_PARAM_INT, value, static_cast<double>(value)});
}

void OutputAttributes::add_number(std::string key, double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.10g", value);
  entries_.push_back({std::move(key), text, H5IO_PARAM_FLOAT, 0, value});
}

void OutputAttributes::hand_out(int* num_attributes, const h5io_param_t** attributes) {
  params_.clear();
  for (const Entry& e : entries_)
    params_.push_back({e.key.c_str(), e.type, e.text.c_str(), e.int_value, e.float_value});
  *num_attributes = static_cast<int>(params_.size());
  *attributes = params_.data();
}

} // namespace h5io::plugin
