#pragma once
// Opening a job's input file: checks that explain what is wrong with it
// (missing, unreadable, not HDF5, truncated), then a read-only open with the
// MPI-IO driver, collective over the group.

#include "common/hdf5/hdf5_handle.hpp"
#include "common/mpi/mpi_group.hpp"

#include <filesystem>
#include <string_view>

namespace h5io {

// Local checks any rank can make on its own; throws Error naming the file
// as `what` says ("input file", "scan.darks file").
void check_input_file(const std::filesystem::path& path, std::string_view what = "input file");

// Collective over `group`: every rank must call it (after check_input_file
// succeeded everywhere); a solo group opens it with the default driver.
// Read-only, because with read-write access the MPI
// driver bypasses the chunk cache and other readers could see a lock.
hdf5::File open_input_file(const Group& group, const std::filesystem::path& path,
                           std::string_view what = "input file");

} // namespace h5io
