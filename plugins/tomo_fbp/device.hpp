#pragma once
// Choosing the back end of one job on one rank from the `device`
// parameter: `cpu`; `gpu` (an error when this build has no CUDA or no GPU
// is visible); `auto`, the GPU when there is one, silently the CPU
// otherwise. The choice is recorded in the output's `device` attribute.

#include "options.hpp"

#include <string>

namespace h5io::fbp {

struct DeviceChoice {
  bool gpu = false;
  std::string description = "cpu"; // "cpu" or "gpu: <name> (device i of n)"
};

// Binds the calling thread to the rank's GPU (node-local rank modulo the
// GPU count) when one is used. Throws Error.
DeviceChoice choose_device(Device requested, int local_rank);

} // namespace h5io::fbp
