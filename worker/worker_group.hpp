#pragma once
// The life of a worker group, on every rank: wait for the master's next
// assignment (rank 0 listens, the others wait patiently for its word), run
// the job's pipeline on units leased from the master, finish or release it,
// and report; until told to stop.

#include "worker/master_channel.hpp"

#include "common/mpi/mpi_group.hpp"

#include <atomic>
#include <filesystem>
#include <optional>
#include <vector>

namespace h5io::worker {

struct GroupSettings {
  std::vector<std::filesystem::path> plugin_dirs; // the full search path
  int credit = 1;
};

class WorkerGroup {
public:
  // `channel`: rank 0's line to the master, nullptr on the other ranks.
  // `stop` is set by signal handlers; rank 0's decides for the group.
  WorkerGroup(const Group& group, MasterChannel* channel, GroupSettings settings,
              const std::atomic<bool>& stop);

  // Collective: serves jobs until `stop`; the job in hand, if any, is
  // released at the next round (its finished units reported) first. Rank 0
  // then sends `disconnect`.
  void serve();

private:
  // Rank 0 waits for an assignment (or `stop`); every rank gets it.
  std::optional<proto::Assign> next_assignment();
  void run_job(const proto::Assign& assign);

  const Group& group_;
  MasterChannel* channel_;
  GroupSettings settings_;
  const std::atomic<bool>& stop_;
  std::optional<proto::MasterMessage> leftover_; // rank 0: left by the last job
};

} // namespace h5io::worker
