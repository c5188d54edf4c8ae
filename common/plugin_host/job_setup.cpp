#include "common/plugin_host/job_setup.hpp"

#include "common/plugin_host/job_params.hpp"
#include "common/util/error.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace h5io {

JobSetupResults JobSetupResults::copy_of(std::span<const h5io_param_t> results,
                                         const std::string& what) {
  JobSetupResults copy;
  for (const h5io_param_t& result : results) {
    Entry entry;
    entry.key = result.key != nullptr ? result.key : "";
    if (entry.key.empty() || entry.key.size() > 255 ||
        std::any_of(copy.entries_.begin(), copy.entries_.end(),
                    [&](const Entry& seen) { return seen.key == entry.key; }))
      throw Error(fmt::format("{} a result with an empty, overlong or repeated key ('{}')", what,
                              entry.key));
    if (result.type < H5IO_PARAM_STRING || result.type > H5IO_PARAM_BOOL)
      throw Error(fmt::format("{} result '{}' of unknown type {}", what, entry.key,
                              static_cast<int>(result.type)));
    if (!std::isfinite(result.float_value))
      throw Error(
          fmt::format("{} result '{}' with a value that is not a finite number", what, entry.key));
    entry.type = result.type;
    entry.text = result.text != nullptr ? result.text : "";
    entry.int_value = result.int_value;
    entry.float_value = result.float_value;
    copy.entries_.push_back(std::move(entry));
  }
  return copy;
}

nlohmann::json JobSetupResults::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const Entry& entry : entries_)
    list.push_back({{"key", entry.key},
                    {"type", static_cast<int>(entry.type)},
                    {"text", entry.text},
                    {"int", entry.int_value},
                    {"float", entry.float_value}});
  return list;
}

JobSetupResults JobSetupResults::from_json(const nlohmann::json& list) {
  JobSetupResults results;
  try {
    for (const nlohmann::json& item : list) {
      Entry entry;
      entry.key = item.at("key").get<std::string>();
      entry.type = static_cast<h5io_param_type_t>(item.at("type").get<int>());
      entry.text = item.at("text").get<std::string>();
      entry.int_value = item.at("int").get<int64_t>();
      // nlohmann writes doubles with enough digits to read back the same bits.
      entry.float_value = item.at("float").get<double>();
      results.entries_.push_back(std::move(entry));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("the stored results of the scan-wide step are damaged: {}", e.what()));
  }
  return results;
}

nlohmann::json JobSetupResults::summary() const {
  nlohmann::json object = nlohmann::json::object();
  for (const Entry& entry : entries_)
    object[entry.key] =
        typed_json_value(entry.type, entry.text, entry.int_value, entry.float_value);
  return object;
}

std::vector<h5io_param_t> JobSetupResults::view() const {
  std::vector<h5io_param_t> view;
  view.reserve(entries_.size());
  for (const Entry& entry : entries_)
    view.push_back(h5io_param_t{entry.key.c_str(), entry.type, entry.text.c_str(), entry.int_value,
                                entry.float_value});
  return view;
}

} // namespace h5io
