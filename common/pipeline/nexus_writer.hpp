#pragma once
// Writes a NexusPlan (nexus_layout.hpp) into a finished output: the root's
// `default`, the NXentry with its `default`, title and times, and each
// output's NXdata (signal, axes, hard link). Serial, on one rank: the
// pipeline's last step, after every collective write is done.

#include "common/pipeline/nexus_layout.hpp"

#include <hdf5.h>

#include <string>

namespace h5io {

// The NXentry's own fields.
struct EntryFields {
  std::string title;
  std::string start_time; // ISO 8601
  std::string end_time;
};

// Throws Error when HDF5 refuses a step.
void write_nexus_layout(hid_t file, const NexusPlan& plan, const EntryFields& entry);

} // namespace h5io
