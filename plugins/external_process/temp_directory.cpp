#include "temp_directory.hpp"

#include "plugin_error.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <vector>

namespace h5io::external {

TempDirectory::TempDirectory(const std::filesystem::path& parent, const std::string& prefix) {
  const std::string pattern = (parent / (prefix + "XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (mkdtemp(name.data()) == nullptr)
    throw plugin::Error("cannot create a temporary directory in " + parent.string() + ": " +
                        std::strerror(errno));
  path_ = name.data();
}

TempDirectory::~TempDirectory() {
  if (kept_) return;
  std::error_code ignored; // nothing to do about it in a destructor
  std::filesystem::remove_all(path_, ignored);
}

} // namespace h5io::external
