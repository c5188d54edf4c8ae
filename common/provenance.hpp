#pragma once
// The record of how an output was made, stored in the output file itself
// (group /provenance, one string per field) so a volume carries its history
// to any HDF5 reader.

#include "common/attribute_value.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace h5io {

// The group every output file holds its provenance in; no library output may
// be placed there.
inline constexpr const char* kProvenanceGroup = "/provenance";
// The results of a library's scan-wide step, kept in the partial output
// while the job runs (so a resumed job applies the same ones); folded into
// /provenance, and removed, when the job completes.
inline constexpr const char* kJobSetupRecord = "/.h5io_job_setup";

// Attributes a library gave its outputs: (dataset location, attributes).
using OutputAnnotations = std::vector<std::pair<std::string, std::vector<AttributeValue>>>;

// Opens the finished (closed) output serially and writes `record`: strings as
// strings, everything else as its JSON text; then the outputs' attributes;
// and removes the working copy of the scan-wide step's results.
// Throws Error on failure.
void write_provenance(const std::filesystem::path& file, const nlohmann::json& record,
                      const OutputAnnotations& annotations = {});

// Now as an ISO 8601 UTC timestamp, e.g. 2026-11-27T10:15:00Z.
std::string utc_timestamp();

} // namespace h5io
