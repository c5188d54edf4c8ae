#pragma once
// The parameters of the paganin library, checked in h5io_init so that a
// missing or misspelt one fails the job before any data are read.

#include "h5io_plugin.h"
#include "paganin_filter.hpp"

#include <string>

namespace h5io::paganin {

struct Options {
  Physics physics;
  // "scan": raw projections, darks and flats by scan role, normalised here
  // with the rules every library shares (flat_field.hpp). Otherwise the
  // absolute HDF5 path of frames that already hold the transmission.
  std::string input = "scan";
  std::string output = "/entry/paganin/data";
  int threads = 0; // 0 = share this node's cores among its ranks

  bool from_scan() const { return input == "scan"; }
};

// Throws plugin::Error naming the parameter.
Options parse_options(const h5io_global_params_t& params);

} // namespace h5io::paganin
