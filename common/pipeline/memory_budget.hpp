#pragma once
// How much memory one rank may give a job's unit buffers when nobody says:
// half of what this machine (or the control group h5io runs in) has, shared
// among the ranks on it. The other half is for the library's own working
// memory, HDF5, MPI and the page cache that reading relies on.

#include <cstdint>

namespace h5io {

// Bytes of memory this machine offers: physical memory, or the cgroup's
// limit (memory.max) when that is lower.
int64_t machine_memory_bytes();

// Per rank, with `ranks_here` ranks sharing this machine.
int64_t default_memory_budget(int ranks_here);

} // namespace h5io
