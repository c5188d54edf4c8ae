#pragma once
// How the scheduler times and limits its work: part of the master's
// configuration (MasterConfig::scheduler, read from master.json), and what
// the scheduler's tests set directly.

#include "master/job.hpp"

#include <chrono>
#include <cstddef>

namespace h5io::master {

struct SchedulerSettings {
  Clock::duration heartbeat = std::chrono::seconds(1);
  int heartbeat_liveness = 3;
  Clock::duration lease = std::chrono::minutes(10);
  Clock::duration progress_interval = std::chrono::milliseconds(500);
  int max_attempts = 3;
  size_t keep_finished_jobs = 1000;
  // How long a client_ref still answers once its job has left the table
  // (beyond keep_finished_jobs), in seconds after the job ended: memory and
  // the journal stay bounded however long the master runs.
  double client_ref_horizon_s = 30 * 86400.0;
};

} // namespace h5io::master
