#include "master/child_check.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace h5io::master {

namespace {

// The answer's first byte: what follows is the result, or an error's text.
constexpr char kResult = 'r';
constexpr char kError = 'e';
// A plan of 100000 units is a few MB of JSON; anything far larger is a
// library writing into the wrong descriptor, not an answer.
constexpr size_t kMaxAnswerBytes = 64u << 20;

void write_all(int fd, const std::string& text) {
  size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n = ::write(fd, text.data() + sent, text.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return; // the master gave up on us
    sent += static_cast<size_t>(n);
  }
}

[[noreturn]] void child(int fd, const std::function<std::string()>& body) {
  spdlog::default_logger_raw()->set_level(spdlog::level::off);
  // A check is background work: the master's loop and the groups' jobs on
  // this machine come first, even with dozens of checks starting at once.
  ::setpriority(PRIO_PROCESS, 0, 10);
  std::string answer(1, kResult);
  try {
    answer += body();
  } catch (const std::exception& e) {
    answer.assign(1, kError);
    answer += e.what();
  } catch (...) {
    answer.assign(1, kError);
    answer += "unknown error";
  }
  write_all(fd, answer);
  // No exit handlers: they belong to the master (HDF5's, the log's).
  ::_exit(0);
}

} // namespace

ChildCheck::ChildCheck(const std::function<std::string()>& body, Clock::time_point deadline)
    : deadline_(deadline) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0)
    throw Error(fmt::format("cannot check the job: pipe failed: {}", std::strerror(errno)));
  FileDescriptor read_end(ends[0]);
  FileDescriptor write_end(ends[1]);
  const pid_t pid = ::fork();
  if (pid < 0)
    throw Error(fmt::format("cannot check the job: fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    read_end.reset();
    child(write_end.get(), body);
  }
  pid_ = pid;
  // The master only ever reads what is there.
  ::fcntl(read_end.get(), F_SETFL, ::fcntl(read_end.get(), F_GETFL) | O_NONBLOCK);
  pipe_ = std::move(read_end);
}

ChildCheck::~ChildCheck() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

void ChildCheck::kill() const {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
}

void ChildCheck::read_available() {
  char buffer[65536];
  while (pipe_.valid()) {
    const ssize_t n = ::read(pipe_.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return; // EAGAIN: nothing more for now
    if (n == 0) {
      pipe_.reset(); // the child closed its end: it has answered, or died
      return;
    }
    received_.append(buffer, static_cast<size_t>(n));
    if (received_.size() > kMaxAnswerBytes && !too_long_) {
      too_long_ = true;
      kill();
    }
  }
}

bool ChildCheck::progress() {
  if (pid_ <= 0) return true;
  read_available();
  int status = 0;
  pid_t ended = 0;
  while ((ended = ::waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (ended == 0) return false;
  status_ = status;
  pid_ = -1;
  // The child wrote everything before it exited; a process it started may
  // still hold the pipe open, so what is there now is the answer.
  read_available();
  pipe_.reset();
  return true;
}

std::string ChildCheck::answer(const std::string& what) const {
  if (too_long_)
    throw Error(fmt::format("{} answered the master's check with more than {} MiB: not a plan",
                            what, kMaxAnswerBytes >> 20));
  if (WIFSIGNALED(status_))
    throw Error(fmt::format("{} crashed while the master checked the job ({}, signal {}); the "
                            "master is unaffected",
                            what, strsignal(WTERMSIG(status_)), WTERMSIG(status_)));
  if (received_.empty())
    throw Error(fmt::format("{} ended the check without an answer (exit status {}): does it "
                            "call exit()?",
                            what, WIFEXITED(status_) ? WEXITSTATUS(status_) : -1));
  if (received_[0] == kError) throw Error(received_.substr(1));
  return received_.substr(1);
}

} // namespace h5io::master
