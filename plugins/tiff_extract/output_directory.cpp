#include "output_directory.hpp"

#include "plugin_error.hpp"

#include <algorithm>
#include <cstring>
#include <system_error>
#include <unistd.h>

namespace h5io::extract {

namespace fs = std::filesystem;

void prepare_directory(const fs::path& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec); // another rank may create it at the same time
  const fs::file_status status = fs::status(directory);
  if (status.type() == fs::file_type::not_found)
    throw plugin::Error("cannot create the directory " + directory.string() + ": " + ec.message());
  if (status.type() != fs::file_type::directory)
    throw plugin::Error("directory=" + directory.string() +
                        " exists but is not a directory; name a directory for the TIFF files");
  if (access(directory.c_str(), W_OK | X_OK) != 0)
    throw plugin::Error("cannot write TIFF files into " + directory.string() + ": " +
                        std::strerror(errno));
}

std::vector<std::string> existing_slice_files(const fs::path& directory,
                                              const SliceNaming& naming) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, ec)) {
    const std::string name = entry.path().filename().string();
    if (naming.matches(name)) found.push_back(name);
  }
  if (ec)
    throw plugin::Error("cannot list the directory " + directory.string() + ": " + ec.message());
  std::sort(found.begin(), found.end());
  return found;
}

} // namespace h5io::extract
