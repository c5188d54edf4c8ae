#pragma once
// The record of how an output was made, stored in the output file itself so
// a volume carries its history to any HDF5 or NeXus reader: the NXprocess
// /entry/process (nexus_layout.hpp's kProcessPath). NeXus names what a
// process is (`program`, `version`, `date`, `sequence_index`, typed
// parameters in an NXparameters group); the rest of h5io's record (job,
// command, library, inputs, scan, ranks, reslicing, the scan-wide step's
// results, host, times) sits beside them, one field per key. Until issue 19
// the same fields were a plain group /provenance; nothing in h5io reads
// them back, so that layout is simply no longer written.

#include "common/plugin_host/job_params.hpp"

#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <string>

namespace h5io {

struct ProvenanceRecord {
  // NXprocess fields.
  std::string program;
  std::string version;
  std::string date; // ISO 8601, when the output was completed
  int64_t sequence_index = 1;
  // The job's parameters, each a field of its own type in the NXparameters
  // group `parameters` (text, int64, float64, or booleans as h5py writes
  // them).
  JobParams parameters;
  // Everything else, one field per key: strings as text, anything else as
  // its JSON text (objects, lists, numbers).
  nlohmann::json fields = nlohmann::json::object();
};

// Creates the NXprocess at kProcessPath in `file` (whose /entry exists).
// Throws Error on failure.
void write_provenance(hid_t file, const ProvenanceRecord& record);

// Now as an ISO 8601 UTC timestamp, e.g. 2026-11-27T10:15:00Z.
std::string utc_timestamp();

} // namespace h5io
