#pragma once
// A job as the master tracks it: the request, its units and their fate. Who
// holds its lease is the scheduler's `Lease`, not the job's.

#include "proto/messages.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace h5io::master {

using Clock = std::chrono::steady_clock;

enum class UnitStatus { pending, leased, done, quarantined };

enum class JobState { queued, running, completed, failed, cancelled };
inline constexpr JobState kJobStates[] = {JobState::queued, JobState::running, JobState::completed,
                                          JobState::failed, JobState::cancelled};

// The protocol's name of a state (proto::state), as in events, snapshots
// and the journal.
inline const char* state_name(JobState state) {
  switch (state) {
  case JobState::queued: return proto::state::queued;
  case JobState::running: return proto::state::running;
  case JobState::completed: return proto::state::completed;
  case JobState::failed: return proto::state::failed;
  case JobState::cancelled: return proto::state::cancelled;
  }
  return "unknown";
}

// A journal's state name; nullopt for a name this master does not know.
inline std::optional<JobState> parse_job_state(const std::string& name) {
  for (const JobState state : kJobStates)
    if (name == state_name(state)) return state;
  return std::nullopt;
}

struct UnitState {
  int64_t first = 0;
  int64_t count = 0;
  UnitStatus status = UnitStatus::pending;
  int attempts = 0; // failed attempts charged so far
};

// How a job's plan begins when its input is resliced first (see
// ARCHITECTURE.md, "Reslicing"): none when frames is 0.
struct ReslicePlan {
  int64_t frames = 0; // per reslice unit
  int64_t units = 0;  // the first `units` units of the plan
};

struct Job {
  std::string id;
  proto::JobRequest request;
  std::optional<std::string> client_ref;
  int priority = 0;
  // Who submitted it, for the record: the CURVE key's name, else the
  // client's address; "scan watcher" for the master's own. Empty if unknown.
  std::string submitted_by;
  uint64_t order = 0; // submission order, for FIFO within a priority
  JobState state = JobState::queued;
  int64_t unit_slices = 0;
  int64_t total_slices = 0; // of the process units
  // A resliced job's first reslice_units units copy frames (reslice_frames
  // each) into a scratch file; its process units are leased only once all
  // of those are done.
  int64_t reslice_frames = 0;
  int64_t reslice_units = 0;
  int64_t reslice_done = 0;
  std::vector<UnitState> units;
  std::deque<int64_t> pending; // indices of pending units, in the order they go out
  int64_t units_done = 0;
  int64_t slices_done = 0;
  std::string error;
  double submitted = 0; // Unix seconds
  double started = 0;
  double finished = 0;
  bool resumed = false; // unfinished when the master started

  // Progress reporting.
  Clock::time_point progress_published{};
  Clock::time_point rate_since{};
  int64_t rate_base = 0; // slices done at rate_since

  bool ended() const {
    return state == JobState::completed || state == JobState::failed ||
           state == JobState::cancelled;
  }
  bool all_done() const { return units_done == static_cast<int64_t>(units.size()); }
  bool is_reslice_unit(int64_t index) const { return index < reslice_units; }
  // Process units wait for the last reslice unit to be done.
  bool may_lease(int64_t index) const {
    return is_reslice_unit(index) || reslice_done == reslice_units;
  }
  // Marks a unit done (once), counting it where it belongs.
  void count_done(int64_t index) {
    ++units_done;
    if (is_reslice_unit(index))
      ++reslice_done;
    else
      slices_done += units[static_cast<size_t>(index)].count;
  }
  bool has_pending() const { return !pending.empty(); }
};

} // namespace h5io::master
