#include "master/journal.hpp"

#include "common/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace h5io::master {

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// Makes the file's new directory entry durable too (a journal created just
// before a crash must still be found).
void sync_directory(const fs::path& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) ::fsync(fd.get());
}

} // namespace

Journal::Journal(const fs::path& dir, const std::function<void(const nlohmann::json&)>& replay)
    : path_(dir / "journal.jsonl") {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw Error(
        fmt::format("cannot create the journal directory '{}': {}", dir.string(), ec.message()));
  off_t good_end = 0;
  {
    std::ifstream in(path_, std::ios::binary);
    std::string line;
    size_t number = 0;
    while (in.good()) {
      const std::streamoff line_start = in.tellg();
      if (!std::getline(in, line)) break;
      ++number;
      const bool complete = !in.eof(); // getline stopped at a newline
      nlohmann::json record;
      try {
        record = nlohmann::json::parse(line);
      } catch (const nlohmann::json::parse_error&) {
        if (!complete) {
          spdlog::warn("journal '{}': dropping a torn last record (line {}; the master stopped "
                       "while writing it, so it was never acknowledged)",
                       path_.string(), number);
          break;
        }
        throw Error(fmt::format("journal '{}' line {} is damaged; move the file aside to start "
                                "without history, or repair that line",
                                path_.string(), number));
      }
      if (!complete) {
        // A whole record without its newline: keep it, and end it properly.
        good_end = static_cast<off_t>(line_start) + static_cast<off_t>(line.size());
        replay(record);
        ++records_;
        queued_.assign(1, '\n');
        break;
      }
      replay(record);
      ++records_;
      good_end = static_cast<off_t>(in.tellg());
    }
  }

  fd_ = FileDescriptor(::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640));
  if (!fd_.valid())
    throw Error(
        fmt::format("cannot open the journal '{}' for writing: {}", path_.string(), errno_text()));
  if (::ftruncate(fd_.get(), good_end) != 0 || ::lseek(fd_.get(), good_end, SEEK_SET) < 0)
    throw Error(fmt::format("cannot prepare the journal '{}': {}", path_.string(), errno_text()));
  sync_directory(dir);
}

void Journal::append(nlohmann::json record) {
  queued_ += record.dump();
  queued_ += '\n';
  ++queued_count_;
}

void Journal::commit() {
  if (queued_.empty()) return;
  const char* data = queued_.data();
  size_t left = queued_.size();
  while (left > 0) {
    const ssize_t written = ::write(fd_.get(), data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("cannot write the journal '{}': {}", path_.string(), errno_text()));
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
  if (::fdatasync(fd_.get()) != 0)
    throw Error(fmt::format("cannot sync the journal '{}': {}", path_.string(), errno_text()));
  records_ += queued_count_;
  queued_.clear();
  queued_count_ = 0;
}

} // namespace h5io::master
