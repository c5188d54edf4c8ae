#include "master/journal.hpp"

#include "common/util/error.hpp"

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

void write_all(int fd, const std::string& text, const fs::path& path) {
  const char* data = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t written = ::write(fd, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("cannot write the journal '{}': {}", path.string(), errno_text()));
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
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

void Journal::rewrite(const std::vector<nlohmann::json>& records) {
  if (!queued_.empty()) throw Error("the journal cannot be rewritten with records queued");
  fs::path temporary = path_;
  temporary += ".compacting";
  {
    const FileDescriptor out(
        ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (!out.valid())
      throw Error(fmt::format("cannot create '{}' to compact the journal: {}", temporary.string(),
                              errno_text()));
    std::string text;
    for (const nlohmann::json& record : records) {
      text += record.dump();
      text += '\n';
    }
    write_all(out.get(), text, temporary);
    if (::fdatasync(out.get()) != 0)
      throw Error(fmt::format("cannot sync '{}': {}", temporary.string(), errno_text()));
  }
  if (::rename(temporary.c_str(), path_.c_str()) != 0)
    throw Error(fmt::format("cannot rename '{}' to '{}': {}", temporary.string(), path_.string(),
                            errno_text()));
  sync_directory(path_.parent_path());
  fd_ = FileDescriptor(::open(path_.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd_.valid() || ::lseek(fd_.get(), 0, SEEK_END) < 0)
    throw Error(
        fmt::format("cannot open the journal '{}' for writing: {}", path_.string(), errno_text()));
  records_ = records.size();
}

void Journal::append(nlohmann::json record) {
  queued_ += record.dump();
  queued_ += '\n';
  ++queued_count_;
}

void Journal::commit() {
  if (queued_.empty()) return;
  write_all(fd_.get(), queued_, path_);
  if (::fdatasync(fd_.get()) != 0)
    throw Error(fmt::format("cannot sync the journal '{}': {}", path_.string(), errno_text()));
  records_ += queued_count_;
  queued_.clear();
  queued_count_ = 0;
}

} // namespace h5io::master
