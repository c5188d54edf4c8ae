#pragma once
// The parameters of the normalise library, checked in h5io_init so that a
// misspelt one fails the job before any data are read.

#include "h5io_plugin.h"

#include <string>

namespace h5io::normalise {

struct Options {
  // false: the clamped transmission (I - dark) / (flat - dark); true: its
  // -log, the line integrals tomo_fbp takes with normalise=false.
  bool minus_log = false;
  std::string output = "/entry/normalised/data";
  int threads = 0; // 0 = share this node's cores among its ranks
};

// Throws plugin::Error naming the parameter.
Options parse_options(const h5io_global_params_t& params);

} // namespace h5io::normalise
