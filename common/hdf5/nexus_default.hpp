#pragma once
// Follows a NeXus file's `default` attributes from the root (root -> NXentry
// -> NXdata, as silx, NeXpy and h5web do) to the dataset a viewer would
// plot: the NXdata's `signal`.

#include <hdf5.h>

#include <optional>
#include <string>

namespace h5io {

// The absolute path of the default NXdata's signal dataset, or nullopt when
// the chain is missing, broken or circular (at most 8 steps).
std::optional<std::string> nexus_default_signal(hid_t file);

} // namespace h5io
