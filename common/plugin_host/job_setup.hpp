#pragma once
// The results of a library's scan-wide step (job_setup in h5io_plugin.h):
// typed key/value pairs copied out of the library, carried to every rank and
// kept in the partial output as JSON, and given back to each instance exactly
// as the library returned them (same types, texts and values, bit for bit).

#include "h5io_plugin.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace h5io {

class JobSetupResults {
public:
  // Copies a library's results; throws Error (starting with `what`) for an
  // empty, overlong or repeated key, an unknown type or a non-finite value.
  static JobSetupResults copy_of(std::span<const h5io_param_t> results, const std::string& what);

  // Exact round trip through JSON (a list of {key, type, text, int, float}).
  nlohmann::json to_json() const;
  static JobSetupResults from_json(const nlohmann::json& list);

  // {"key": value} with the values' own JSON types, for provenance.
  nlohmann::json summary() const;

  // The C view for apply_job_setup; valid while this object is unchanged.
  std::vector<h5io_param_t> view() const;
  size_t size() const { return entries_.size(); }

private:
  struct Entry {
    std::string key;
    h5io_param_type_t type = H5IO_PARAM_STRING;
    std::string text;
    int64_t int_value = 0;
    double float_value = 0;
  };
  std::vector<Entry> entries_;
};

} // namespace h5io
