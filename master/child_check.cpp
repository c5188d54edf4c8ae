#include "master/child_check.hpp"

#include "common/error.hpp"
#include "common/file_descriptor.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace h5io::master {

namespace {

using Clock = std::chrono::steady_clock;

// The answer's first byte: what follows is the result, or an error's text.
constexpr char kResult = 'r';
constexpr char kError = 'e';

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

// Kills and reaps the child unless it was reaped: no zombie, whatever throws.
class ChildProcess {
public:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ~ChildProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    wait();
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }
  void kill() const { ::kill(pid_, SIGKILL); }

private:
  pid_t pid_;
};

} // namespace

std::string run_in_child(const std::function<std::string()>& body,
                         std::chrono::milliseconds timeout, const std::string& what) {
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
  ChildProcess process(pid);
  write_end.reset();

  std::string answer;
  const Clock::time_point deadline = Clock::now() + timeout;
  char buffer[65536];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      process.kill();
      process.wait();
      throw Error(fmt::format("checking the job took longer than {:.0f} s: {} did not finish "
                              "checking it (its h5io_init hung, or reading the input did); the "
                              "check was stopped",
                              std::chrono::duration<double>(timeout).count(), what));
    }
    pollfd item{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&item, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = ::read(read_end.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; // the child closed its end: it has answered, or died
    answer.append(buffer, static_cast<size_t>(n));
  }
  const int status = process.wait();
  if (WIFSIGNALED(status))
    throw Error(fmt::format("{} crashed while the master checked the job ({}, signal {}); the "
                            "master is unaffected",
                            what, strsignal(WTERMSIG(status)), WTERMSIG(status)));
  if (answer.empty())
    throw Error(fmt::format("{} ended the check without an answer (exit status {}): does it "
                            "call exit()?",
                            what, WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  if (answer[0] == kError) throw Error(answer.substr(1));
  return answer.substr(1);
}

} // namespace h5io::master
