#pragma once
// Runs a real program (h5io, mpirun) and captures its exit status and output,
// with a deadline so that a hang fails the test instead of stalling it.

#include <chrono>
#include <string>
#include <vector>

namespace h5io::test {

struct CommandResult {
  int exit_code = -1; // -1: killed at the deadline
  bool timed_out = false;
  std::string out;
  std::string err;
};

CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::seconds deadline = std::chrono::seconds(120));

// The launcher for `ranks` MPI processes: mpiexec with oversubscription, and
// the options Open MPI wants before it agrees to run as root.
std::vector<std::string> mpiexec_command(int ranks);

// argv prefixed so that it runs as user nobody when the tests run as root
// (root reads and writes anything, so permission errors need another user).
std::vector<std::string> as_unprivileged(std::vector<std::string> argv);

} // namespace h5io::test
