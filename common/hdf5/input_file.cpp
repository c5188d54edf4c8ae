#include "common/hdf5/input_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace h5io {

void check_input_file(const fs::path& path, std::string_view what) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) throw Error(fmt::format("{} '{}' does not exist", what, path.string()));
  if (fs::is_directory(status))
    throw Error(fmt::format("{} '{}' is a directory, not an HDF5 file", what, path.string()));
  // open() rather than access(): it answers for the effective user, ACLs and
  // read-only mounts included.
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    throw Error(
        fmt::format("{} '{}' cannot be read: {}", what, path.string(), std::strerror(errno)));
  ::close(fd);
  if (fs::file_size(path, ec) == 0)
    throw Error(fmt::format("{} '{}' is empty, not an HDF5 file", what, path.string()));
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  hdf5::error_stack_summary(); // clear whatever H5Fis_hdf5 left behind
  if (is_hdf5 <= 0)
    throw Error(
        fmt::format("{} '{}' is not an HDF5 file (no HDF5 signature found)", what, path.string()));
}

hdf5::File open_input_file(const Group& group, const fs::path& path, std::string_view what) {
  hdf5::PropertyList fapl(H5Pcreate(H5P_FILE_ACCESS));
  // A solo group has no communicator (MPI may never have been initialised):
  // HDF5's default driver reads the same file the same way.
  if (!group.is_solo()) H5Pset_fapl_mpio(fapl.get(), group.comm(), MPI_INFO_NULL);
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (id < 0) {
    const std::string detail = hdf5::error_stack_summary();
    if (detail.find("truncated") != std::string::npos)
      throw Error(fmt::format("{} '{}' is truncated or incomplete (was it copied or "
                              "written completely?) (HDF5: {})",
                              what, path.string(), detail));
    throw Error(
        fmt::format("{} '{}' could not be opened as HDF5 (HDF5: {})", what, path.string(), detail));
  }
  return hdf5::File(id);
}

} // namespace h5io
