#include "common/hdf5/file_disown.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace h5io {

std::optional<FileIdentity> identity_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileIdentity{st.st_dev, st.st_ino};
}

int redirect_descriptors(const FileIdentity& file) noexcept {
  // The descriptors first, then the replacing: the directory's own
  // descriptor must not be touched while it is being read.
  std::vector<int> matching;
  if (DIR* fds = ::opendir("/proc/self/fd")) {
    const int own = ::dirfd(fds);
    while (const dirent* entry = ::readdir(fds)) {
      char* end = nullptr;
      const long fd = std::strtol(entry->d_name, &end, 10);
      if (end == entry->d_name || *end != '\0' || fd == own) continue;
      struct stat st {};
      if (::fstat(static_cast<int>(fd), &st) == 0 && st.st_dev == file.device &&
          st.st_ino == file.inode)
        matching.push_back(static_cast<int>(fd));
    }
    ::closedir(fds);
  }
  if (matching.empty()) return 0;
  const int nowhere = ::memfd_create("h5io-disowned", MFD_CLOEXEC);
  if (nowhere < 0) return 0;
  int replaced = 0;
  for (const int fd : matching) {
    // dup2 keeps the descriptor's number (the I/O library's handle) and its
    // close-on-exec flag is reset, which nothing here relies on.
    if (::dup2(nowhere, fd) == fd) ++replaced;
  }
  ::close(nowhere);
  return replaced;
}

} // namespace h5io
