#pragma once
// Reserving the disk space a job's output will need before anything is
// computed, so that an output that cannot fit (a full disk, a quota, a
// file-size limit) fails the job at once with the reason, rather than after
// hours of computing, and so that other writers filling the disk meanwhile
// cannot make it fail half-way.

#include <cstdint>
#include <filesystem>
#include <string>

namespace h5io {

// Allocates the first `bytes` of the existing file `path` (fallocate; the
// file's size grows to at least `bytes`). Where the file system cannot
// reserve space (EOPNOTSUPP, e.g. some network file systems) it checks what
// can be checked (the file-size limit, the free space) instead. Throws Error,
// e.g. "cannot reserve 32.0 MiB for the output '/data/v.h5.partial': File
// too large (this process may write files of at most 16.0 MiB: its file-size
// limit, see `ulimit -f`)".
void reserve_file_space(const std::filesystem::path& path, int64_t bytes);

// "32.0 MiB", "1.5 GiB": for messages.
std::string byte_size_text(int64_t bytes);

} // namespace h5io
