#include "common/pipeline/memory_budget.hpp"

#include <algorithm>
#include <fstream>
#include <string>
#include <unistd.h>

namespace h5io {

int64_t machine_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  int64_t bytes = pages > 0 && page > 0 ? int64_t{pages} * page : int64_t{4} << 30;
  // A container or a Slurm allocation may allow far less than the machine.
  std::ifstream limit("/sys/fs/cgroup/memory.max");
  std::string text;
  if (limit >> text && text != "max") {
    try {
      bytes = std::min<int64_t>(bytes, std::stoll(text));
    } catch (const std::exception&) {
      // Unreadable: the machine's figure stands.
    }
  }
  return bytes;
}

int64_t default_memory_budget(int ranks_here) {
  return machine_memory_bytes() / 2 / std::max(ranks_here, 1);
}

} // namespace h5io
