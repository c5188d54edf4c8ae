#pragma once
// What the master's metrics say at one moment, as plain values: the event
// loop fills one in (a copy, no pointers into its state) and hands it to the
// metrics exporter, whose HTTP threads then read it without touching the
// loop's state or waiting for it.

#include "master/duration_histogram.hpp"
#include "master/scheduler.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace h5io::master {

struct MetricsSnapshot {
  std::map<std::string, int> jobs; // jobs held in the table, by state
  SchedulerCounters counters;
  size_t worker_groups = 0;
  int64_t worker_ranks = 0;
  size_t checks_pending = 0;
  size_t journal_records = 0;
  uint64_t status_seq = 0;
  DurationHistogram loop_turns;
  DurationHistogram submit_checks;
};

} // namespace h5io::master
