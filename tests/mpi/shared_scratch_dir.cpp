#include "mpi_test_env.hpp"

#include <cstdlib>
#include <stdexcept>

namespace h5io::test {

SharedScratchDir::SharedScratchDir(const Group& group) : group_(group) {
  std::string path;
  if (group.is_root()) {
    path = (std::filesystem::temp_directory_path() / "h5io-mpi-XXXXXX").string();
    if (mkdtemp(path.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  }
  path_ = group.broadcast(path, 0);
}

SharedScratchDir::~SharedScratchDir() {
  group_.barrier();
  if (group_.is_root()) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

} // namespace h5io::test
