#pragma once
// One check running in a child process: the master loads a job's library and
// runs its h5io_init to check a submission, and a library that crashes, hangs
// or takes its time there must cost that one submission, never the master's
// loop. The child does the work, writes its answer (or the error's text) into
// a pipe and exits. The master never waits for it: the pipe's read end is in
// the event loop's poll set, and each turn `progress` reads what is there and
// reaps the child once it has ended (waitpid with WNOHANG).

#include "common/util/file_descriptor.hpp"

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

namespace h5io::master {

class ChildCheck {
public:
  using Clock = std::chrono::steady_clock;

  // Forks; the child runs `body` and exits. Throws h5io::Error if the pipe
  // or the fork fails. The child must not touch ZeroMQ (it runs only `body`)
  // and logs nothing (another thread may have held the log's lock when the
  // process forked).
  ChildCheck(const std::function<std::string()>& body, Clock::time_point deadline);
  // A child still running is killed and reaped: this waits, so the master
  // lets a killed child end through `progress` and destroys it reaped.
  ~ChildCheck();
  ChildCheck(const ChildCheck&) = delete;
  ChildCheck& operator=(const ChildCheck&) = delete;

  // The pipe's read end while the child may still write to it, else -1.
  int fd() const { return pipe_.get(); }
  Clock::time_point deadline() const { return deadline_; }
  bool reaped() const { return pid_ <= 0; }

  // Reads what the child has written and reaps it if it has ended; never
  // blocks. True once the child is reaped: its answer is then whole.
  bool progress();
  // SIGKILL; `progress` reaps it later.
  void kill() const;

  // Once reaped: what `body` returned. Throws h5io::Error with the text of
  // the child's exception, or saying that the check crashed (the signal) or
  // ended without an answer, naming `what` ("library 'tomo_fbp'").
  std::string answer(const std::string& what) const;

private:
  void read_available();

  pid_t pid_ = -1;
  FileDescriptor pipe_;
  Clock::time_point deadline_;
  std::string received_;
  int status_ = 0;
  bool too_long_ = false; // the answer passed kMaxAnswerBytes: the child was killed
};

} // namespace h5io::master
