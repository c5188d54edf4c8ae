#include "scratch_dir.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace h5io::test {

ScratchDir::ScratchDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "h5io-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
  // Readable by the unprivileged user some tests switch to.
  std::filesystem::permissions(path_, std::filesystem::perms::all);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

} // namespace h5io::test
