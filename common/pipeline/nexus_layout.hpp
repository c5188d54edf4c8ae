#pragma once
// Where a job's outputs appear in the output file's NeXus tree, worked out
// from their locations, shapes and the libraries' hints alone (no HDF5), so
// the plan is checked when the job is set up and written when it finishes.
//
// Datasets never move: h5py reads every output at the path the library
// chose. Each output gets an NXdata group whose signal it is:
//   - the output's parent group, when that is a direct child of /entry
//     (tomo_fbp's /entry/reconstruction) not yet claimed by an earlier
//     output: the group itself becomes the NXdata;
//   - otherwise a new group /entry/<path with '/' as '_'> (benchmark's
//     /benchmark/sum -> /entry/benchmark_sum) holding a hard link to the
//     dataset, the NeXus way of linking (the dataset gets a `target`).
// Every dimension gets an axis dataset in that group: the library's name,
// units and linear scale when it described one, else an index axis
// (`slice` for the dimension that grows with the slices, `dim<D>` for the
// others). Names never collide with what is there: a taken one gets _2, _3...

#include "common/pipeline/output_description.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace h5io {

inline constexpr const char* kEntryPath = "/entry";
// The NXprocess that records how the output was made (provenance.hpp).
inline constexpr const char* kProcessPath = "/entry/process";

// Why a library may not put an output at `location` (an absolute path), or
// nullopt when it may: /entry is the NXentry, and /entry/process,
// /entry/title, /entry/definition, /entry/start_time and /entry/end_time
// are written by h5io.
std::optional<std::string> reserved_output_location(const std::string& location);

struct NexusOutput {
  std::string location;       // absolute path of the dataset
  std::vector<int64_t> shape; // as stored
  int growing_axis = 0;       // the dimension that grows with the slices
  NexusHints hints;
};

struct PlannedAxis {
  std::string name;
  int64_t length = 0;
  // Index values 0, 1, ... (int64) when the library gave no scale or
  // offset; otherwise offset + scale * i (float64).
  bool index = true;
  double offset = 0;
  double scale = 1;
  std::string units;     // "" for none
  std::string long_name; // "" for none
};

struct PlannedNxdata {
  std::string group;             // absolute path
  bool new_group = true;         // false: the output's parent group becomes the NXdata
  std::string signal;            // the signal's link name in the group
  std::string source;            // the output's own location (hard-linked when new_group)
  std::vector<PlannedAxis> axes; // one per dimension, in order
};

struct NexusPlan {
  std::vector<PlannedNxdata> nxdata; // one per output, in output order
  size_t default_nxdata = 0;         // the entry's default
  std::optional<std::string> definition;
};

// Throws Error for hints that cannot all hold: more than one output marked
// default, or outputs naming different definitions.
NexusPlan plan_nexus_layout(const std::vector<NexusOutput>& outputs);

} // namespace h5io
