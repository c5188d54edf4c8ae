#include "atomic_tiff.hpp"

#include "plugin_error.hpp"

#include <system_error>
#include <unistd.h>

namespace h5io::extract {

namespace fs = std::filesystem;

void write_tiff_atomically(const fs::path& directory, const std::string& name,
                           const plugin::ImageShape& shape, const void* pixels,
                           tiff::Compression compression) {
  // Slices are written by one rank each, so the name needs no more than the
  // process id to be unique.
  const fs::path partial = directory / ("." + name + "." + std::to_string(getpid()) + ".partial");
  try {
    tiff::write_tiff(partial.string(), shape, pixels, compression);
    std::error_code ec;
    fs::rename(partial, directory / name, ec);
    if (ec)
      throw plugin::Error("cannot rename " + partial.string() + " to " + name + ": " +
                          ec.message());
  } catch (...) {
    std::error_code ignored;
    fs::remove(partial, ignored);
    throw;
  }
}

} // namespace h5io::extract
