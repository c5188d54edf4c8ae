#include "child_process.hpp"

#include "plugin_error.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace h5io::external {

using Clock = std::chrono::steady_clock;

namespace {

// posix_spawn's two descriptions of the child, each released with its own
// destroy call.
class SpawnFileActions {
public:
  SpawnFileActions() {
    if (posix_spawn_file_actions_init(&actions_) != 0)
      throw plugin::Error("cannot prepare to start a program: out of memory");
  }
  ~SpawnFileActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttributes {
public:
  SpawnAttributes() {
    if (posix_spawnattr_init(&attributes_) != 0)
      throw plugin::Error("cannot prepare to start a program: out of memory");
  }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attributes_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  posix_spawnattr_t* get() { return &attributes_; }

private:
  posix_spawnattr_t attributes_;
};

// The spawned process group. Until reaped, its leader is ours to wait for;
// the destructor kills and reaps whatever is left, so no exception path
// leaves a program running.
class ChildGroup {
public:
  explicit ChildGroup(pid_t pid) : pid_(pid) {}
  ~ChildGroup() {
    if (reaped_) return;
    signal_group(SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  ChildGroup(const ChildGroup&) = delete;
  ChildGroup& operator=(const ChildGroup&) = delete;

  // Waits until the leader has exited or `until` passes; true if it exited.
  // The leader is left a zombie (WNOWAIT), so its pid, which names the
  // group, cannot be reused before signal_group has run.
  bool wait_exit(Clock::time_point until) {
    auto pause = std::chrono::microseconds(100);
    for (;;) {
      siginfo_t info{};
      if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
        if (info.si_pid == pid_) return true;
      } else if (errno != EINTR) {
        throw plugin::Error(std::string("cannot wait for the program: ") + std::strerror(errno));
      }
      const auto now = Clock::now();
      if (now >= until) return false;
      std::this_thread::sleep_for(std::min<Clock::duration>(pause, until - now));
      pause = std::min(pause * 2, std::chrono::microseconds(10000));
    }
  }

  void signal_group(int signal) { kill(-pid_, signal); } // ESRCH: nothing left

  int reap() {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0)
      if (errno != EINTR)
        throw plugin::Error(std::string("cannot wait for the program: ") + std::strerror(errno));
    reaped_ = true;
    return status;
  }

private:
  pid_t pid_;
  bool reaped_ = false;
};

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", seconds);
  return text;
}

} // namespace

std::string ProcessResult::describe() const {
  switch (end) {
  case End::exited: return "exited with status " + std::to_string(code);
  case End::signalled:
    return "was killed by signal " + std::to_string(code) + " (" + strsignal(code) + ")";
  case End::timed_out:
    return "timed out after " + seconds_text(timeout) + " s (timeout=" + seconds_text(timeout) +
           ") and was killed";
  case End::not_started: break;
  }
  return std::string("could not be started: ") + std::strerror(code);
}

ProcessResult run_process(const ProcessSpec& spec) {
  const auto check = [](int code) {
    if (code != 0)
      throw plugin::Error(std::string("cannot prepare to start a program: ") + std::strerror(code));
  };
  SpawnFileActions actions;
  check(posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0));
  check(posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, spec.log_file.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600));
  check(posix_spawn_file_actions_adddup2(actions.get(), STDOUT_FILENO, STDERR_FILENO));
  check(posix_spawn_file_actions_addchdir_np(actions.get(), spec.working_directory.c_str()));
  // The host's descriptors (MPI's sockets, HDF5's files) stay with the host.
  check(posix_spawn_file_actions_addclosefrom_np(actions.get(), 3));

  // A new process group, to signal as one; default signal handling and an
  // empty mask, whatever the host (MPI) installed.
  SpawnAttributes attributes;
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int signal :
       {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2, SIGXFSZ})
    sigaddset(&defaults, signal);
  check(posix_spawnattr_setpgroup(attributes.get(), 0));
  check(posix_spawnattr_setsigmask(attributes.get(), &empty));
  check(posix_spawnattr_setsigdefault(attributes.get(), &defaults));
  check(posix_spawnattr_setflags(attributes.get(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                       POSIX_SPAWN_SETSIGDEF));

  std::vector<char*> argv;
  for (const std::string& word : spec.argv) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);

  ProcessResult result;
  result.timeout = spec.timeout.count();
  const auto start = Clock::now();
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, argv[0], actions.get(), attributes.get(), argv.data(), environ);
  if (spawned != 0) {
    result.code = spawned;
    return result;
  }
  ChildGroup child(pid);
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(spec.timeout);
  const bool exited = child.wait_exit(deadline);
  if (!exited) {
    child.signal_group(SIGTERM);
    child.wait_exit(Clock::now() + std::chrono::duration_cast<Clock::duration>(spec.grace));
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // Whatever the leader left running goes with it.
  child.signal_group(SIGKILL);
  const int status = child.reap();
  if (!exited) {
    result.end = ProcessResult::End::timed_out;
  } else if (WIFSIGNALED(status)) {
    result.end = ProcessResult::End::signalled;
    result.code = WTERMSIG(status);
  } else {
    result.end = ProcessResult::End::exited;
    result.code = WEXITSTATUS(status);
  }
  return result;
}

std::string file_tail(const std::filesystem::path& path, size_t max_bytes) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return "";
  file.seekg(0, std::ios::end);
  const auto size = static_cast<size_t>(std::max<std::streamoff>(file.tellg(), 0));
  const size_t start = size > max_bytes ? size - max_bytes : 0;
  file.seekg(static_cast<std::streamoff>(start));
  std::string tail(size - start, '\0');
  file.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<size_t>(file.gcount()));
  if (start > 0) {
    const size_t newline = tail.find('\n');
    tail.erase(0, newline == std::string::npos ? 0 : newline + 1);
  }
  while (!tail.empty() && std::isspace(static_cast<unsigned char>(tail.back()))) tail.pop_back();
  return tail;
}

} // namespace h5io::external
