#pragma once
// What a client knows of the master's jobs and worker groups: loaded from a
// snapshot, kept current by status events (PROTOCOL.md), as typed rows.

#include "proto/messages.hpp"

#include <map>
#include <optional>
#include <string>

namespace h5io::cli {

// What only job.progress events say of a running job (a snapshot carries no
// rate or ETA).
struct JobRate {
  double rate = 0.0; // slices/s
  std::optional<double> eta;
};

class JobTable {
public:
  void load(const proto::Snapshot& snapshot);
  // Updates the rows an event is about. Events of unknown topics change
  // nothing (a later master may send more).
  void apply(const proto::Event& event);

  // Ordered by id, which is submission order (j000001, j000002, ...).
  const std::map<std::string, proto::JobRow>& jobs() const { return jobs_; }
  const std::map<std::string, proto::WorkerRow>& workers() const { return workers_; }
  const proto::JobRow* find_job(const std::string& job) const;
  // The job's rate and ETA as its last job.progress said; none since the
  // last snapshot: nullptr.
  const JobRate* rate_of(const std::string& job) const;
  // The master's clock at the last snapshot or event: "last seen 2 s ago".
  double time() const { return time_; }

private:
  void apply_job_event(const proto::Event& event);

  std::map<std::string, proto::JobRow> jobs_;
  std::map<std::string, JobRate> rates_;
  std::map<std::string, proto::WorkerRow> workers_;
  double time_ = 0.0;
};

} // namespace h5io::cli
