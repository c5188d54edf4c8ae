#include "common/pipeline/output_target.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace h5io {

OutputTarget::OutputTarget(const fs::path& output, bool overwrite, const fs::path& input)
    : final_(fs::absolute(output).lexically_normal()) {
  partial_ = partial_path_for(final_);
  scratch_ = scratch_path_for(final_);
  const fs::path directory = final_.parent_path();
  std::error_code ec;
  if (!fs::exists(directory, ec))
    throw Error(fmt::format("output directory '{}' does not exist", directory.string()));
  if (!fs::is_directory(directory, ec))
    throw Error(fmt::format("output directory '{}' is not a directory", directory.string()));
  if (::access(directory.c_str(), W_OK | X_OK) != 0)
    throw Error(fmt::format("output directory '{}' is not writable: {}", directory.string(),
                            std::strerror(errno)));
  if (fs::is_directory(final_, ec))
    throw Error(fmt::format("output '{}' is a directory", final_.string()));
  if (fs::exists(input, ec) && fs::equivalent(input, final_, ec))
    throw Error(
        fmt::format("output '{}' is the input file; choose another output name", final_.string()));
  if (fs::exists(final_, ec) && !overwrite)
    throw Error(
        fmt::format("output '{}' already exists; pass --overwrite to replace it", final_.string()));
}

fs::path OutputTarget::partial_path_for(const fs::path& final_path) {
  fs::path partial = final_path;
  partial += ".partial";
  return partial;
}

fs::path OutputTarget::scratch_path_for(const fs::path& final_path) {
  fs::path scratch = final_path;
  scratch += ".reslice.partial";
  return scratch;
}

void OutputTarget::commit() const {
  std::error_code ec;
  fs::rename(partial_, final_, ec);
  if (ec)
    throw Error(fmt::format("could not rename '{}' to '{}': {}", partial_.string(), final_.string(),
                            ec.message()));
}

namespace {

std::optional<std::pair<dev_t, ino_t>> identity(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return std::pair{st.st_dev, st.st_ino};
}

} // namespace

void OutputTarget::clear(const fs::path& path, const char* what) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec)
    throw Error(
        fmt::format("cannot remove the old {} '{}': {}", what, path.string(), ec.message()));
}

void OutputTarget::discard(const fs::path& path, const Identity& claimed) noexcept {
  if (!claimed || identity(path) != claimed) return;
  std::error_code ec;
  fs::remove(path, ec);
}

void OutputTarget::clear_partial() const {
  clear(partial_, "partial output");
}
void OutputTarget::claim_partial() {
  claimed_ = identity(partial_);
}
void OutputTarget::discard() const noexcept {
  discard(partial_, claimed_);
}

void OutputTarget::clear_scratch() const {
  clear(scratch_, "reslicing scratch file");
}
void OutputTarget::claim_scratch() {
  claimed_scratch_ = identity(scratch_);
}
void OutputTarget::discard_scratch() const noexcept {
  discard(scratch_, claimed_scratch_);
}

void OutputTarget::remove_scratch() const noexcept {
  std::error_code ec;
  fs::remove(scratch_, ec);
}

} // namespace h5io
