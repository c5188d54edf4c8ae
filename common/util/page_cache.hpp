#pragma once
// What the kernel's page cache holds of a file.

#include <optional>

namespace h5io {

// The fraction (0 to 1) of the open regular file `fd`'s pages that are in
// the page cache, from one cachestat(2) call (Linux 6.5 and later): about a
// millisecond for a GiB. nullopt where the kernel cannot say (an older
// kernel, a seccomp filter, not a regular file); callers then act as if
// nothing were cached.
std::optional<double> cached_fraction(int fd);

} // namespace h5io
