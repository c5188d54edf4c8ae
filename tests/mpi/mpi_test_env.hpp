#pragma once

#include "common/mpi/mpi_group.hpp"

#include <filesystem>
#include <string>

namespace h5io::test {

// Whether h5io pinned the collective-I/O component in this run (it does not
// when the environment already chose one).
extern bool g_fcoll_pinned;
extern bool g_pml_pinned;

// A scratch directory made by rank 0 and shared with every rank.
class SharedScratchDir {
public:
  explicit SharedScratchDir(const Group& group);
  ~SharedScratchDir();
  SharedScratchDir(const SharedScratchDir&) = delete;
  SharedScratchDir& operator=(const SharedScratchDir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  const std::filesystem::path& path() const { return path_; }

private:
  const Group& group_;
  std::filesystem::path path_;
};

} // namespace h5io::test
