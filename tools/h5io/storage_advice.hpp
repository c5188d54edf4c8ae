#pragma once
// What the storage of a scan's frames [frames, rows, columns] means for
// h5io's speed: it reads sinograms (a few rows of every frame), so the
// chunk shape and compression decide how much is read and decompressed.

#include "common/hdf5/dataset_info.hpp"

#include <string>
#include <vector>

namespace h5io::cli {

// Chunks between these sizes suit sinogram reads: big enough that HDF5's
// per-chunk cost is small, small enough that a few rows do not drag in
// megabytes that are thrown away.
inline constexpr int64_t kSmallChunkBytes = 64 * 1024;
inline constexpr int64_t kLargeChunkBytes = 4 * 1024 * 1024;

// One sentence per problem, each with what to do about it; empty when the
// layout is fine.
std::vector<std::string> storage_warnings(const DatasetInfo& frames);

} // namespace h5io::cli
