#pragma once
// The answer to describe_output: key/value pairs whose strings must stay put
// until the host has copied them. Texts are stored first and pointed at only
// when the list is handed out, so adding never leaves a pointer dangling.

#include "h5io_plugin.h"

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace h5io::plugin {

class OutputAttributes {
public:
  void clear();
  void add_text(std::string key, std::string value);
  void add_int(std::string key, int64_t value);
  void add_number(std::string key, double value);

  // Fills describe_output's out-parameters; valid until the next change.
  void hand_out(int* num_attributes, const h5io_param_t** attributes);

private:
  struct Entry {
    std::string key;
    std::string text;
    h5io_param_type_t type;
    int64_t int_value;
    double float_value;
  };
  std::deque<Entry> entries_;
  std::vector<h5io_param_t> params_;
};

} // namespace h5io::plugin
