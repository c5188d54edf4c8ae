#pragma once
// The pipeline's JobSpec for a job the master assigned.

#include "common/pipeline/pipeline.hpp"
#include "proto/messages.hpp"

#include <filesystem>
#include <vector>

namespace h5io::worker {

// `plugin_dirs`: the group's search path (--plugin-dir, then the defaults).
// The unit size is the master's (`unit_slices`), so this group cuts the same
// units the master leases. Throws Error for parameters h5io cannot type.
JobSpec job_spec_for(const proto::Assign& assign,
                     const std::vector<std::filesystem::path>& plugin_dirs);

} // namespace h5io::worker
