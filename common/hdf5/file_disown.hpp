#pragma once
// Letting go of a file that may now be someone else's. A worker group whose
// lease lapsed (stopped, then given up by the master) still holds the job's
// output open, and the group that took the job over writes the same file
// (a resumed job reopens it; the finished output is renamed, not copied).
// Fencing keeps the stale group's units out, but closing an HDF5 file
// writes too: HDF5 rewrites the superblock's end-of-address with its own,
// now stale, value, and the other group's later objects (the finished
// output's NeXus tree and NXprocess) fall beyond it and can no longer be
// read. Pointing this process's descriptors for the file at an anonymous
// memory file first sends whatever the close writes nowhere. Linux only
// (/proc/self/fd, memfd_create), as h5io is.

#include <sys/types.h>

#include <filesystem>
#include <optional>

namespace h5io {

struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};

// The file `path` names now (symbolic links followed), or nullopt.
std::optional<FileIdentity> identity_of(const std::filesystem::path& path);

// Replaces every descriptor of this process open on `file` with one on an
// empty anonymous memory file (reads find nothing, writes and truncation
// succeed and vanish). Returns how many were replaced; never throws (a
// descriptor it cannot replace is left as it is).
int redirect_descriptors(const FileIdentity& file) noexcept;

} // namespace h5io
