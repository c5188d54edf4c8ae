#pragma once
// The master's state machine, free of sockets and files: jobs and their
// units, worker groups and their leases. Every decision is written into an
// Outbox; the server makes the journal records durable and then sends the
// rest. Scheduling: priority, then submission order; one lease (one group,
// one writer) per job at a time; at most `credit` units leased ahead per
// group; a unit failed max_attempts times is quarantined and fails its job.

#include "master/job.hpp"
#include "master/outbox.hpp"

#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace h5io::master {

struct SchedulerSettings {
  Clock::duration heartbeat = std::chrono::seconds(1);
  int heartbeat_liveness = 3;
  Clock::duration lease = std::chrono::minutes(10);
  Clock::duration progress_interval = std::chrono::milliseconds(500);
  int max_attempts = 3;
  size_t keep_finished_jobs = 1000;
};

struct WorkerGroup {
  std::string id; // ZeroMQ routing id
  std::string name;
  std::string instance; // the group process's run (ready.instance), "" if not said
  std::string host;
  int ranks = 1;
  int credit = 1;
  // Heartbeats go out at the group's own interval (it expects them that
  // often); it is lost after liveness x the longer of its and ours.
  Clock::duration heartbeat{};
  Clock::duration silence_limit{};
  Clock::time_point last_heard{};
  Clock::time_point last_sent{};
  std::string job; // held lease, "" when idle
  int64_t lease = 0;
  std::set<int64_t> leased;           // unit indices leased and not done
  Clock::time_point lease_progress{}; // last time a unit of the lease completed
};

class Scheduler {
public:
  explicit Scheduler(SchedulerSettings settings) : settings_(settings) {}

  // ---- from the journal
  void replay(const nlohmann::json& record);
  // After replay: every unfinished job is queued again (leases died with the
  // previous master); returns how many.
  int resume_after_replay();
  // The records that rebuild, through replay, what replay has built: the
  // counters (starts, job ids), the client_refs of jobs no longer held, and
  // every held job (accepted, its done units, its end), in the order they
  // were accepted and ended. A journal of them replaces a long one.
  std::vector<nlohmann::json> journal_records() const;
  // Resumed jobs wait until `until` before any group gets them: a group that
  // held one under the previous master must first hear that this master
  // does not know it, and close the job's output (one writer per file).
  void hold_resumed_jobs(Clock::time_point until) { resume_hold_ = until; }

  // ---- clients
  const Job* find(const std::string& id) const;
  // The job a client_ref was first submitted as (also once forgotten).
  std::optional<std::string> job_for_client_ref(const std::string& ref) const;
  // The unfinished job writing this output, if any.
  const Job* writer_of(const std::string& output) const;
  // Takes a validated job; returns its id. `submitted_by`: see Job;
  // `reslice`: how its plan begins when its input is resliced first.
  std::string accept(const proto::SubmitRequest& request, int64_t unit_slices,
                     const std::vector<std::pair<int64_t, int64_t>>& units, double now, Outbox& out,
                     const std::string& submitted_by = {}, const ReslicePlan& reslice = {});
  // "" when cancelled, else why not.
  std::string cancel(const std::string& id, double now, Outbox& out);

  // ---- worker groups
  void on_worker(const std::string& group, const proto::WorkerMessage& message,
                 Clock::time_point now, double wall, Outbox& out);
  // Liveness, lease expiry, heartbeats to groups.
  void tick(Clock::time_point now, double wall, Outbox& out);
  // The master itself was busy for `stall` without reading (a long loop
  // turn): that silence is its own, so it is not held against any group,
  // and no lease expires for it. Every group's clocks move on by `stall`
  // (never past `now`).
  void excuse_silence(Clock::duration stall, Clock::time_point now);
  // Leases queued work to idle groups and tops up busy ones.
  void dispatch(Clock::time_point now, double wall, Outbox& out);

  // ---- status
  nlohmann::json jobs_json() const;
  nlohmann::json workers_json(double wall, Clock::time_point now) const;
  int jobs_in(const char* state) const;
  size_t groups() const { return groups_.size(); }

private:
  Job* job(const std::string& id);
  void new_group(const std::string& id, const proto::Ready& ready, Clock::time_point now,
                 Outbox& out);
  void units_done(WorkerGroup& group, Job& job, const std::vector<int64_t>& units,
                  Clock::time_point now, Outbox& out);
  void units_failed(WorkerGroup& group, Job& job, const std::vector<int64_t>& units,
                    const std::string& error, double wall, Outbox& out);
  void job_finished(WorkerGroup& group, Job& job, double wall, Outbox& out);
  // Ends the group's lease: leased units go back to the queue (each charged a
  // failed attempt if `charge`), the job forgets its holder.
  void end_lease(WorkerGroup& group, const std::string& reason, const std::set<int64_t>* charged,
                 double wall, Outbox& out);
  // `charge`: the group went silent, perhaps killed by a unit it held, so
  // those units are charged an attempt. A group that said `disconnect`
  // stopped on purpose, and one that rejoins on the same socket is a live
  // process whose link was reset (a crashed group comes back on a new
  // socket): neither is charged.
  void lose_group(const std::string& id, const std::string& reason, bool charge, double wall,
                  Outbox& out);
  void fail_job(Job& job, const std::string& error, double wall, Outbox& out);
  void end_job(Job& job, const char* state, double wall, Outbox& out);
  void lease_units(WorkerGroup& group, Job& job, Clock::time_point now, Outbox& out, bool assign);
  void publish_progress(Job& job, Clock::time_point now, bool force, Outbox& out);
  void send(WorkerGroup& group, proto::MasterMessage message, Clock::time_point now, Outbox& out);
  void forget_old_jobs();
  bool lease_matches(const WorkerGroup& group, const std::string& job, int64_t lease) const;

  SchedulerSettings settings_;
  std::map<std::string, Job> jobs_;
  std::map<std::string, std::string> client_refs_; // ref -> job id
  std::map<std::string, WorkerGroup> groups_;
  std::deque<std::string> finished_order_; // ended jobs, oldest first
  uint64_t next_order_ = 1;
  int64_t next_job_ = 1;
  int64_t next_lease_ = 1;
  int64_t starts_ = 0; // master starts recorded in the journal
  Clock::time_point resume_hold_{};
};

} // namespace h5io::master
