#pragma once
// Units leased from the master, handed to the group's ranks round by round,
// and reported back (`done`) once they are written and flushed.
//
// Rank 0 holds the lease: the units the master leased and the group has not
// started, the rounds in flight, the units written but not yet reported. It
// decides each round and broadcasts it; the other ranks only follow. It
// never waits for the master while units it handed out are unreported (it
// hands out empty rounds instead, so the pipeline writes what it has and
// the reports that earn more credit go out).

#include "worker/master_channel.hpp"

#include "common/mpi/mpi_group.hpp"
#include "common/pipeline/pipeline.hpp"
#include "common/pipeline/work_plan.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace h5io::worker {

// Why a job's run ended; known on every rank once next_round returned false.
enum class JobEnding : int {
  running = 0,
  finished,  // the master said `finish`: every unit is done
  released,  // the master said `release`, or assigned other work
  link_lost, // the master went silent or forgot the group: the lease is void
  stopping,  // this group was told to stop (SIGTERM, SIGINT)
};

const char* ending_name(JobEnding ending);

// What rank 0 knows about the job it holds.
struct Lease {
  std::string job;
  int64_t number = 0; // the lease's number (fencing: never reused)
  // The assignment's group_timeout_ms: the master re-leases the units of a
  // group it has not heard from for this long. Zero: not said (no fencing).
  std::chrono::milliseconds group_timeout{0};
};

struct ScheduleSettings {
  int credit = 1;                                  // as announced in `ready`
  std::chrono::milliseconds report_interval{1000}; // longest wait before reporting
};

class LeasedSchedule final : public UnitSchedule {
public:
  // Collective construction is not needed; `channel` is rank 0's line to
  // the master (nullptr on other ranks). `first_units` are the assignment's;
  // `stop` is polled on rank 0 at every round.
  LeasedSchedule(const Group& group, const UnitPlan& plan, MasterChannel* channel, Lease lease,
                 const std::vector<proto::UnitRange>& first_units, ScheduleSettings settings,
                 const std::atomic<bool>& stop);

  bool next_round(std::optional<Unit>& mine) override;
  void round_written(const std::function<void()>& flush_output, bool last) override;
  bool flushes_output() const override { return true; } // `done` promises the data are on disk
  // Yes while the lease holds: not released, the link not lost, and a probe
  // the master answered less than 3/4 of the group timeout ago. Otherwise it
  // waits for an answer (or news that the lease is gone) rather than write.
  bool may_write() override;

  // Every rank, after run(): why it ended.
  JobEnding ending() const { return ending_; }
  // Collective, after run() (or its agreed error): the lease ended without
  // this group's say (released, the link lost, or a write refused for want
  // of the master's word), so another group may hold the output now and
  // this one must close it without writing (Pipeline::disown_output).
  bool lease_lapsed();
  // Rank 0: the master's `release` said the job itself ended (cancelled or
  // failed), so no later lease will resume its partial output.
  bool job_ended() const { return job_ended_; }
  // Rank 0: the units leased and not reported done.
  std::vector<int64_t> unfinished_units() const;
  // Rank 0, after run() threw: the units to charge with the failure (what
  // `failed` lists): those the library was computing, else those in flight,
  // else every unfinished one. The master re-queues the rest uncharged.
  std::vector<int64_t> failed_units() const;
  // Rank 0: a master message that arrived for the next job (an `assign`
  // that replaced this one); the group loop takes it up next.
  std::optional<proto::MasterMessage> take_leftover();

private:
  struct Round {
    bool more = false;
    JobEnding ending = JobEnding::running;
    std::vector<Unit> units; // one per rank; count 0 = none
    std::string error;
  };
  // Rank 0. Never throws: an error travels in the round to every rank.
  Round plan_round();
  // Rank 0: may_write's answer. Never throws.
  bool lease_vouched();
  void handle(LinkEvent event);
  void accept(const std::vector<proto::UnitRange>& units);
  // Units handed out and not yet reported (empty rounds in flight owe
  // nothing: waiting for them would hand out empty rounds for ever).
  bool owes_reports() const;
  // The next queued unit is a process unit and reslice units are in flight.
  bool waits_for_reslicing() const;

  const Group& group_;
  const UnitPlan& plan_;
  MasterChannel* channel_;
  Lease lease_;
  ScheduleSettings settings_;
  const std::atomic<bool>& stop_;
  JobEnding ending_ = JobEnding::running;

  // Rank 0 only.
  bool job_ended_ = false;
  std::deque<int64_t> queued_;                 // leased, not handed out
  std::deque<std::vector<int64_t>> in_flight_; // rounds handed out, not written
  std::vector<int64_t> written_;               // written, not reported
  std::set<int64_t> leased_;                   // leased, not reported done
  bool finish_received_ = false;
  bool write_refused_ = false;   // lease_vouched said no
  bool last_round_more_ = false; // what the last next_round answered
  std::string error_;
  std::optional<proto::MasterMessage> leftover_;
  std::chrono::steady_clock::time_point last_report_;
};

} // namespace h5io::worker
