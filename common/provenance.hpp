#pragma once
// The record of how an output was made, stored in the output file itself
// (group /provenance, one string per field) so a volume carries its history
// to any HDF5 reader.

#include <nlohmann/json.hpp>

#include <filesystem>

namespace h5io {

// The group every output file holds its provenance in; no library output may
// be placed there.
inline constexpr const char* kProvenanceGroup = "/provenance";

// Opens the finished (closed) output serially and writes `record`: strings as
// strings, everything else as its JSON text. Throws Error on failure.
void write_provenance(const std::filesystem::path& file, const nlohmann::json& record);

// Now as an ISO 8601 UTC timestamp, e.g. 2026-11-27T10:15:00Z.
std::string utc_timestamp();

} // namespace h5io
