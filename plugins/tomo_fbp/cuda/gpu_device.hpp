#pragma once
// Which GPU a rank uses. CUDA binds the current device per host thread; the
// ABI guarantees every call of one library instance comes from one thread,
// so binding once in h5io_init holds for the whole job.

#include <string>

namespace h5io::fbp::gpu {

// CUDA devices this process can see; 0 when none, with the CUDA runtime's
// reason (no driver, no device, CUDA_VISIBLE_DEVICES empty...) in `why`.
int visible_device_count(std::string& why);

// Binds the calling thread to device local_rank % count, so the ranks of
// one node spread over its GPUs, and returns its description, e.g.
// "NVIDIA H100 80GB HBM3 (device 1 of 4)". Throws Error.
std::string bind_device(int local_rank);

// The description of the calling thread's current device.
std::string current_device_description();

} // namespace h5io::fbp::gpu
