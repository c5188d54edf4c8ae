#include "common/pipeline/space_reservation.hpp"

#include "common/util/error.hpp"
#include "common/util/file_descriptor.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

namespace h5io {

namespace {

// Bytes the file system holding `path` can still give this user; -1: unknown.
int64_t free_bytes(const std::filesystem::path& path) {
  struct statvfs fs {};
  if (::statvfs(path.parent_path().c_str(), &fs) != 0) return -1;
  return static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
}

// This process's file-size limit (RLIMIT_FSIZE); -1: none.
int64_t file_size_limit() {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return -1;
  return static_cast<int64_t>(limit.rlim_cur);
}

// Why the file system said `error`, in the user's terms.
std::string reason(int error, const std::filesystem::path& path) {
  switch (error) {
  case EFBIG: {
    const int64_t limit = file_size_limit();
    if (limit < 0) return "";
    return fmt::format(" (this process may write files of at most {}: its file-size limit, see "
                       "`ulimit -f`)",
                       byte_size_text(limit));
  }
  case ENOSPC: {
    const int64_t left = free_bytes(path);
    if (left < 0) return "";
    return fmt::format(" (the file system holding '{}' has {} free)", path.parent_path().string(),
                       byte_size_text(left));
  }
  case EDQUOT: return " (this user's disk quota there is used up)";
  default: return "";
  }
}

[[noreturn]] void refuse(int error, const std::filesystem::path& path, int64_t bytes) {
  throw Error(fmt::format("cannot reserve {} for the output '{}': {}{}", byte_size_text(bytes),
                          path.string(), std::strerror(error), reason(error, path)));
}

} // namespace

std::string byte_size_text(int64_t bytes) {
  constexpr const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(units)) {
    value /= 1024.0;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

void reserve_file_space(const std::filesystem::path& path, int64_t bytes) {
  if (bytes <= 0) return;
  const FileDescriptor file(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!file.valid())
    throw Error(fmt::format("cannot open the output '{}' to reserve its space: {}", path.string(),
                            std::strerror(errno)));
  if (::fallocate(file.get(), 0, 0, bytes) == 0) return;
  const int error = errno;
  if (error != EOPNOTSUPP && error != ENOSYS) refuse(error, path, bytes);
  // No reservation here: at least catch what is sure to fail.
  const int64_t limit = file_size_limit();
  if (limit >= 0 && bytes > limit) refuse(EFBIG, path, bytes);
  const int64_t left = free_bytes(path);
  if (left >= 0 && bytes > left) refuse(ENOSPC, path, bytes);
}

} // namespace h5io
