#pragma once
// The master's state machine, free of sockets and files: jobs and their
// units, worker groups and their leases. Every decision is written into an
// Outbox; the server makes the journal records durable and then sends the
// rest. Scheduling: priority, then submission order; one lease (one group,
// one writer) per job at a time; at most `credit` units leased ahead per
// group; a unit failed max_attempts times is quarantined and fails its job.

#include "master/job.hpp"
#include "master/outbox.hpp"
#include "master/scheduler_settings.hpp"

#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace h5io::master {

// What the scheduler has counted since this master started, for the
// Prometheus metrics (counters start again at zero with the process, as
// Prometheus's rate() expects).
struct SchedulerCounters {
  uint64_t units_done = 0;                        // units reported durably done
  uint64_t units_failed = 0;                      // units charged a failed attempt
  uint64_t units_requeued = 0;                    // leased units that went back to the queue
  uint64_t groups_lost = 0;                       // groups declared lost (silent too long)
  std::map<std::string, uint64_t> jobs_completed; // by library
  std::map<std::string, uint64_t> jobs_failed;    // by library
};

// A worker group as the master sees it: a connection (ZeroMQ routing id)
// and what the group said in `ready`. (The group's own side is
// worker/worker_group.hpp's WorkerGroup.)
struct ConnectedGroup {
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
};

// A lease: one group's right to write one job's output (one writer per
// file), and the units it holds under it. At most one per job and one per
// group. The scheduler's leases_ is its only owner, and close_lease the one
// place one ends (as the Majordomo broker's s_worker_delete).
struct Lease {
  std::string group; // routing id
  std::string job;
  int64_t number = 0;           // fencing: never reused, across restarts too
  std::set<int64_t> units;      // unit indices leased and not done
  Clock::time_point progress{}; // last time a unit completed (or the grant)
  bool finish_sent = false;     // the group was told to finish the job
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
  // The job a client_ref was first submitted as: while the table holds the
  // job, and for client_ref_horizon_s after it ended once it is forgotten.
  std::optional<std::string> job_for_client_ref(const std::string& ref) const;
  // Drops the client_refs of forgotten jobs that ended longer than the
  // horizon before `wall`; returns how many. Cheap when there are none
  // (tick calls it every turn).
  size_t expire_client_refs(double wall);
  size_t client_refs() const { return client_refs_.size(); }
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
  // The rows of a status snapshot.
  std::vector<proto::JobRow> job_rows() const;
  std::vector<proto::WorkerRow> worker_rows(double wall, Clock::time_point now) const;
  int jobs_in(JobState state) const;
  // Jobs in the table by state, every state present (0 when none).
  std::map<std::string, int> jobs_by_state() const;
  size_t groups() const { return groups_.size(); }
  int64_t ranks() const;
  const SchedulerCounters& counters() const { return counters_; }

private:
  Job* job(const std::string& id);
  void new_group(const std::string& id, const proto::Ready& ready, Clock::time_point now,
                 Outbox& out);
  void units_done(Lease& lease, Job& job, const std::vector<int64_t>& units, Clock::time_point now,
                  Outbox& out);
  void units_failed(Lease& lease, Job& job, const std::vector<int64_t>& units,
                    const std::string& error, double wall, Outbox& out);
  void job_finished(Lease& lease, Job& job, double wall, Outbox& out);
  // Takes a lease from its group: its units go back to the queue (those in
  // `charged` charged a failed attempt), and the job is queued again, or
  // fails when a unit reached max_attempts.
  void end_lease(Lease& lease, const std::string& reason, const std::set<int64_t>* charged,
                 double wall, Outbox& out);
  Lease& grant_lease(const ConnectedGroup& group, Job& job, Clock::time_point now);
  // Removes the lease: the one place a lease ends.
  void close_lease(const std::string& job);
  // The lease a group holds, if any (a scan: groups and leases are few).
  Lease* lease_of_group(const std::string& group);
  const Lease* lease_of_group(const std::string& group) const;
  // `charge`: the group went silent, perhaps killed by a unit it held, so
  // those units are charged an attempt. A group that said `disconnect`
  // stopped on purpose, and one that rejoins on the same socket is a live
  // process whose link was reset (a crashed group comes back on a new
  // socket): neither is charged.
  void lose_group(const std::string& id, const std::string& reason, bool charge, double wall,
                  Outbox& out);
  void fail_job(Job& job, const std::string& error, double wall, Outbox& out);
  void end_job(Job& job, JobState state, double wall, Outbox& out);
  void lease_units(Lease& lease, const ConnectedGroup& group, Job& job, Clock::time_point now,
                   Outbox& out, bool assign);
  void publish_progress(Job& job, Clock::time_point now, bool force, Outbox& out);
  void send(ConnectedGroup& group, proto::MasterMessage message, Clock::time_point now,
            Outbox& out);
  void forget_old_jobs();
  // The group's lease if it is the one a message names, else none (logged).
  Lease* named_lease(const ConnectedGroup& group, const std::string& job, int64_t number);
  struct ForgottenRef;
  double ended_of(const ForgottenRef& forgotten) const;

  SchedulerSettings settings_;
  SchedulerCounters counters_;
  std::map<std::string, Job> jobs_;
  struct ClientRef {
    std::string job;
    double ended = 0; // when the job ended, once the table forgot it; 0 while it holds it
  };
  // Once its job is forgotten, a ref waits in forgotten_refs_ (oldest end
  // first) for its horizon to pass.
  struct ForgottenRef {
    std::string ref;
    std::string job;
  };
  std::map<std::string, ClientRef> client_refs_;
  std::deque<ForgottenRef> forgotten_refs_;
  // A journal written before refs recorded their job's end: those refs'
  // horizon starts at the first expiry after replay.
  bool refs_without_end_ = false;
  std::map<std::string, ConnectedGroup> groups_;
  std::map<std::string, Lease> leases_;    // by job id
  std::deque<std::string> finished_order_; // ended jobs, oldest first
  uint64_t next_order_ = 1;
  int64_t next_job_ = 1;
  int64_t next_lease_ = 1;
  int64_t starts_ = 0; // master starts recorded in the journal
  Clock::time_point resume_hold_{};
};

} // namespace h5io::master
