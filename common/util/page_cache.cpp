#include "common/util/page_cache.hpp"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace h5io {
namespace {

// glibc 2.36 (Debian 12) has no wrapper. New system calls share one number
// on every architecture but alpha.
#ifdef SYS_cachestat
constexpr long cachestat_call = SYS_cachestat;
#else
constexpr long cachestat_call = 451;
#endif

struct CachestatRange { // struct cachestat_range, <linux/mman.h> of Linux 6.5
  uint64_t offset;
  uint64_t length; // 0: to the end of the file
};

struct Cachestat { // struct cachestat
  uint64_t cached_pages;
  uint64_t dirty_pages;
  uint64_t writeback_pages;
  uint64_t evicted_pages;
  uint64_t recently_evicted_pages;
};

} // namespace

std::optional<double> cached_fraction(int fd) {
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) return std::nullopt;
  CachestatRange range{0, 0};
  Cachestat pages{};
  if (::syscall(cachestat_call, fd, &range, &pages, 0) != 0) return std::nullopt;
  const auto page_bytes = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t file_pages = (static_cast<uint64_t>(status.st_size) + page_bytes - 1) / page_bytes;
  if (file_pages == 0) return 1.0;
  return std::min(1.0, static_cast<double>(pages.cached_pages) / static_cast<double>(file_pages));
}

} // namespace h5io
