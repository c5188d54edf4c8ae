#include "common/hdf5/run_writer.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <string>
#include <unistd.h>

namespace h5io {

RunWriter::RunWriter(const std::filesystem::path& path)
    : path_(path), file_(::open(path.c_str(), O_WRONLY | O_CLOEXEC)) {
  if (!file_.valid())
    throw Error(fmt::format("cannot open the output '{}' for writing: {}", path.string(),
                            std::strerror(errno)));
}

void RunWriter::write(int64_t offset, const std::byte* data, size_t bytes) {
  pending_.push_back(thread_.submit([this, offset, data, bytes] {
    const auto start = std::chrono::steady_clock::now();
    auto at = static_cast<off_t>(offset);
    const std::byte* from = data;
    size_t left = bytes;
    while (left > 0) {
      // Linux moves at most ~2 GiB per call.
      const ssize_t n = ::pwrite(file_.get(), from, std::min<size_t>(left, size_t{1} << 30), at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw Error(fmt::format("writing output '{}' failed: {}", path_.string(),
                                n < 0 ? std::strerror(errno) : "nothing written"));
      from += n;
      at += n;
      left -= static_cast<size_t>(n);
    }
    // Advice, like the flush that follows it: an error would show there.
    if (early_writeback_)
      static_cast<void>(::sync_file_range(file_.get(), static_cast<off_t>(offset),
                                          static_cast<off_t>(bytes), SYNC_FILE_RANGE_WRITE));
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }));
}

double RunWriter::wait() {
  double seconds = 0;
  std::optional<std::string> error;
  for (std::future<double>& write : pending_) {
    try {
      seconds += write.get();
    } catch (const std::exception& e) {
      if (!error) error = e.what();
    }
  }
  pending_.clear();
  if (error) throw Error(*error);
  return seconds;
}

} // namespace h5io
