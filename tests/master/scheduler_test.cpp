// The master's state machine without sockets: scheduling order, credit,
// leases, failures, journal replay.

#include "master/scheduler.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

namespace h5io::master {
namespace {

using namespace std::chrono_literals;

class SchedulerTest : public ::testing::Test {
protected:
  SchedulerTest() : scheduler(settings()) {}

  static SchedulerSettings settings() {
    SchedulerSettings s;
    s.heartbeat = 1s;
    s.heartbeat_liveness = 3;
    s.lease = 60s;
    s.progress_interval = 0s;
    s.max_attempts = 3;
    return s;
  }

  std::string submit(const std::string& output, int units, int priority = 0,
                     std::optional<std::string> ref = std::nullopt) {
    proto::SubmitRequest request;
    request.job = {"/data/in.h5", "benchmark", output, nlohmann::json::object(), {}};
    request.priority = priority;
    request.client_ref = std::move(ref);
    std::vector<std::pair<int64_t, int64_t>> plan;
    for (int i = 0; i < units; ++i) plan.emplace_back(i * 4, 4);
    return scheduler.accept(request, 4, plan, wall, out);
  }

  void worker(const std::string& group, proto::WorkerMessage message) {
    scheduler.on_worker(group, message, now, wall, out);
  }

  void join(const std::string& group, int credit) {
    worker(group, proto::Ready{group, "host", 2, credit});
  }

  void dispatch() { scheduler.dispatch(now, wall, out); }

  // The job's row in a status snapshot (what clients are told of it), if the
  // table holds the job.
  static std::optional<proto::JobRow> row_of(const Scheduler& from, const std::string& job) {
    for (proto::JobRow& row : from.job_rows())
      if (row.job == job) return row;
    return std::nullopt;
  }
  proto::JobRow row(const std::string& job) const {
    const auto found = row_of(scheduler, job);
    EXPECT_TRUE(found.has_value()) << "no row for " << job;
    return found.value_or(proto::JobRow{});
  }

  // Submits a job of one unit and has idle group g1 complete it (at `wall`).
  std::string complete_one_unit_job(const std::string& output, const std::string& ref) {
    const std::string job = submit(output, 1, 0, ref);
    dispatch();
    const int64_t lease = sent_to<proto::Assign>("g1").back().lease;
    worker("g1", proto::UnitsDone{job, lease, {0}});
    worker("g1", proto::JobFinished{job, lease});
    return job;
  }

  template <class M> std::vector<M> sent_to(const std::string& group) const {
    std::vector<M> found;
    for (const auto& [to, message] : out.to_workers)
      if (to == group)
        if (const auto* m = std::get_if<M>(&message)) found.push_back(*m);
    return found;
  }

  std::vector<std::string> topics() const {
    std::vector<std::string> list;
    for (const proto::StatusEvent& event : out.events) list.emplace_back(proto::topic_of(event));
    return list;
  }

  bool has_topic(const std::string& topic) const {
    const auto list = topics();
    return std::find(list.begin(), list.end(), topic) != list.end();
  }

  static std::vector<int64_t> indices(const std::vector<proto::UnitRange>& units) {
    std::vector<int64_t> list;
    for (const auto& unit : units) list.push_back(unit.unit);
    return list;
  }

  Scheduler scheduler;
  Outbox out;
  Clock::time_point now = Clock::now();
  double wall = 1.8e9;
};

TEST_F(SchedulerTest, HighestPriorityFirstThenSubmissionOrder) {
  const std::string a = submit("/o/a.h5", 2);
  const std::string b = submit("/o/b.h5", 2, 5);
  const std::string c = submit("/o/c.h5", 2);
  join("g1", 4);
  join("g2", 4);
  join("g3", 4);
  dispatch();
  ASSERT_EQ(sent_to<proto::Assign>("g1").size(), 1u);
  EXPECT_EQ(sent_to<proto::Assign>("g1")[0].job, b);
  EXPECT_EQ(sent_to<proto::Assign>("g2")[0].job, a);
  EXPECT_EQ(sent_to<proto::Assign>("g3")[0].job, c);
}

TEST_F(SchedulerTest, OneGroupPerJobAndCreditBoundsTheLease) {
  const std::string job = submit("/o/a.h5", 5);
  join("g1", 2);
  join("g2", 2);
  dispatch();
  const auto assign = sent_to<proto::Assign>("g1");
  ASSERT_EQ(assign.size(), 1u);
  EXPECT_EQ(indices(assign[0].units), (std::vector<int64_t>{0, 1}));
  EXPECT_FALSE(assign[0].resume);
  EXPECT_EQ(assign[0].unit_slices, 4);
  EXPECT_TRUE(sent_to<proto::Assign>("g2").empty()) << "one writer per output";

  out = {};
  worker("g1", proto::UnitsDone{job, assign[0].lease, {0}});
  ASSERT_EQ(out.journal.size(), 1u);
  EXPECT_EQ(out.journal[0]["rec"], "done");
  EXPECT_TRUE(has_topic(proto::topic::job_progress));
  dispatch();
  const auto more = sent_to<proto::MoreUnits>("g1");
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(indices(more[0].units), (std::vector<int64_t>{2}));
}

TEST_F(SchedulerTest, FinishAfterEveryUnitThenCompleted) {
  const std::string job = submit("/o/a.h5", 2);
  join("g1", 4);
  dispatch();
  const int64_t lease = sent_to<proto::Assign>("g1")[0].lease;
  out = {};
  dispatch();
  EXPECT_TRUE(sent_to<proto::Finish>("g1").empty());
  worker("g1", proto::UnitsDone{job, lease, {0, 1}});
  dispatch();
  ASSERT_EQ(sent_to<proto::Finish>("g1").size(), 1u);
  out = {};
  dispatch();
  EXPECT_TRUE(sent_to<proto::Finish>("g1").empty()) << "finish is sent once";
  worker("g1", proto::JobFinished{job, lease});
  EXPECT_EQ(row(job).state, proto::state::completed);
  EXPECT_TRUE(has_topic(proto::topic::job_completed));
  ASSERT_FALSE(out.journal.empty());
  EXPECT_EQ(out.journal.back()["rec"], "ended");
  EXPECT_EQ(out.journal.back()["state"], "completed");
}

TEST_F(SchedulerTest, LostGroupsUnitsGoToAnotherGroupWhichResumes) {
  const std::string job = submit("/o/a.h5", 4);
  join("g1", 2);
  dispatch();
  const int64_t lease = sent_to<proto::Assign>("g1")[0].lease;
  worker("g1", proto::UnitsDone{job, lease, {0}});
  join("g2", 2);
  out = {};
  now += 10s; // g1 and g2 silent: both lost
  worker("g2", proto::Heartbeat{});
  scheduler.tick(now, wall, out);
  EXPECT_TRUE(has_topic(proto::topic::worker_lost));
  EXPECT_TRUE(has_topic(proto::topic::job_requeued));
  EXPECT_EQ(row(job).state, proto::state::queued);
  dispatch();
  const auto assign = sent_to<proto::Assign>("g2");
  ASSERT_EQ(assign.size(), 1u);
  EXPECT_TRUE(assign[0].resume) << "unit 0 is durable in the partial output";
  EXPECT_EQ(indices(assign[0].units), (std::vector<int64_t>{1, 2}));
  EXPECT_GT(assign[0].lease, lease);
  EXPECT_EQ(scheduler.counters().units_failed, 1u)
      << "a silent group may have been killed by its unit: unit 1 charged, not unit 2, never "
         "leased to the lost group";

  out = {};
  worker("g1", proto::UnitsDone{job, lease, {1}}); // the lost group's late report
  EXPECT_TRUE(sent_to<proto::Disconnect>("g1").size() == 1) << "an unknown group re-registers";
  EXPECT_EQ(row(job).units_done, 1);
}

// Issue 18's "rejoined twice, then lost": a group whose link gave up on a
// stalled master reconnects on a new socket, twice; each ready used to add
// a group, the job went to the first (whose socket was already closed) and
// was charged again when that one fell silent.
TEST_F(SchedulerTest, AGroupReconnectingOnANewConnectionReplacesItselfUncharged) {
  const std::string job = submit("/o/a.h5", 4);
  proto::Ready ready{"busy", "host", 2, 2};
  ready.instance = "host-42-abc";
  worker("c1", ready);
  dispatch();
  ASSERT_EQ(sent_to<proto::Assign>("c1").size(), 1u);
  out = {};
  worker("c2", ready); // the same process, its second connection
  worker("c3", ready); // and its third
  EXPECT_EQ(scheduler.groups(), 1u) << "one group, on its newest connection";
  EXPECT_TRUE(has_topic(proto::topic::job_requeued));
  EXPECT_EQ(scheduler.counters().units_failed, 0u)
      << "a reconnection is not a crash: nothing charged";
  dispatch();
  EXPECT_TRUE(sent_to<proto::Assign>("c2").empty()) << "never leased to a dead connection";
  ASSERT_EQ(sent_to<proto::Assign>("c3").size(), 1u);

  // A restarted group (another instance) is another group, as before.
  proto::Ready other = ready;
  other.instance = "host-43-def";
  worker("c4", other);
  EXPECT_EQ(scheduler.groups(), 2u);
}

TEST_F(SchedulerTest, SilenceTheMasterCausedIsNotHeldAgainstAGroup) {
  const std::string job = submit("/o/a.h5", 4);
  join("g1", 2);
  dispatch();
  out = {};
  now += 10s; // the master's loop was busy all this time
  scheduler.excuse_silence(10s, now);
  scheduler.tick(now, wall, out);
  EXPECT_FALSE(has_topic(proto::topic::worker_lost)) << "the silence was the master's";
  EXPECT_EQ(row(job).state, proto::state::running);
  now += 4s; // now the group's own silence passes the limit (3 s)
  scheduler.tick(now, wall, out);
  EXPECT_TRUE(has_topic(proto::topic::worker_lost));
}

TEST_F(SchedulerTest, StaleLeaseIsRefused) {
  const std::string job = submit("/o/a.h5", 2);
  join("g1", 2);
  dispatch();
  const int64_t lease = sent_to<proto::Assign>("g1")[0].lease;
  out = {};
  worker("g1", proto::UnitsDone{job, lease + 7, {0}});
  EXPECT_TRUE(out.journal.empty());
  EXPECT_EQ(row(job).units_done, 0);
}

TEST_F(SchedulerTest, UnitFailingThreeTimesFailsOnlyItsJob) {
  const std::string bad = submit("/o/bad.h5", 2, 1);
  const std::string good = submit("/o/good.h5", 1);
  join("g1", 1);
  join("g2", 1);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    out = {};
    dispatch();
    auto assign = sent_to<proto::Assign>("g1");
    if (assign.empty() || assign[0].job != bad) assign = sent_to<proto::Assign>("g2");
    ASSERT_EQ(assign.size(), 1u) << "attempt " << attempt;
    ASSERT_EQ(assign[0].job, bad);
    const std::string holder =
        sent_to<proto::Assign>("g1").size() == 1 && sent_to<proto::Assign>("g1")[0].job == bad
            ? "g1"
            : "g2";
    worker(holder, proto::UnitsFailed{bad, assign[0].lease, {0}, "segfault on slice 2"});
  }
  EXPECT_EQ(row(bad).state, proto::state::failed);
  EXPECT_NE(row(bad).error.value_or("").find("unit 0 (slices 0 to 3) failed 3 times and is "
                                             "quarantined"),
            std::string::npos)
      << row(bad).error.value_or("");
  EXPECT_NE(row(bad).error.value_or("").find("segfault on slice 2"), std::string::npos);
  EXPECT_TRUE(has_topic(proto::topic::job_failed));
  EXPECT_EQ(out.discard, std::vector<std::string>{"/o/bad.h5"});
  EXPECT_NE(row(good).state, proto::state::failed);
}

TEST_F(SchedulerTest, LeaseExpiresWhenNoUnitCompletes) {
  const std::string job = submit("/o/a.h5", 2);
  join("g1", 2);
  dispatch();
  const int64_t lease = sent_to<proto::Assign>("g1")[0].lease;
  out = {};
  now += 61s;
  worker("g1", proto::Heartbeat{}); // alive, but stuck
  scheduler.tick(now, wall, out);
  const auto release = sent_to<proto::Release>("g1");
  ASSERT_EQ(release.size(), 1u);
  EXPECT_EQ(release[0].lease, lease);
  EXPECT_NE(release[0].reason.find("lease expired"), std::string::npos);
  EXPECT_FALSE(release[0].job_ended) << "the next lease resumes the partial file";
  EXPECT_EQ(scheduler.counters().units_failed, 2u) << "both units leased: each charged once";
  EXPECT_EQ(row(job).state, proto::state::queued);
}

TEST_F(SchedulerTest, CancelReleasesTheHolder) {
  const std::string job = submit("/o/a.h5", 2);
  join("g1", 2);
  dispatch();
  out = {};
  EXPECT_EQ(scheduler.cancel(job, wall, out), "");
  ASSERT_EQ(sent_to<proto::Release>("g1").size(), 1u);
  EXPECT_TRUE(sent_to<proto::Release>("g1")[0].job_ended) << "the holder deletes its partial file";
  EXPECT_TRUE(has_topic(proto::topic::job_cancelled));
  EXPECT_NE(scheduler.cancel(job, wall, out).find("already ended"), std::string::npos);
  EXPECT_NE(scheduler.cancel("j999999", wall, out).find("no job"), std::string::npos);
}

TEST_F(SchedulerTest, AJobWhoseUnitsAreAllWrittenCannotBeCancelled) {
  const std::string job = submit("/o/a.h5", 2);
  join("g1", 2);
  dispatch();
  const int64_t lease = sent_to<proto::Assign>("g1")[0].lease;
  worker("g1", proto::UnitsDone{job, lease, {0, 1}});
  out = {};
  // The group may be renaming the output right now: a cancel would race it.
  EXPECT_NE(scheduler.cancel(job, wall, out).find("can no longer be cancelled"), std::string::npos);
  EXPECT_TRUE(sent_to<proto::Release>("g1").empty());
  EXPECT_EQ(row(job).state, proto::state::running);
}

TEST_F(SchedulerTest, ClientRefNamesTheFirstJob) {
  const std::string job = submit("/o/a.h5", 2, 0, "scan-17");
  EXPECT_EQ(scheduler.job_for_client_ref("scan-17"), job);
  EXPECT_EQ(scheduler.job_for_client_ref("scan-18"), std::nullopt);
}

TEST_F(SchedulerTest, ClientRefsOutliveTheirJobsByTheHorizonOnly) {
  SchedulerSettings short_memory = settings();
  short_memory.keep_finished_jobs = 1;
  short_memory.client_ref_horizon_s = 100;
  scheduler = Scheduler(short_memory);
  join("g1", 1);
  const std::string first = complete_one_unit_job("/o/1.h5", "scan-1"); // ends at `wall`
  wall += 60;
  const std::string second = complete_one_unit_job("/o/2.h5", "scan-2"); // forgets the first
  EXPECT_FALSE(row_of(scheduler, first));
  EXPECT_EQ(scheduler.job_for_client_ref("scan-1"), first) << "within the horizon";
  scheduler.tick(now, wall + 39, out); // 99 s after the first ended
  EXPECT_EQ(scheduler.job_for_client_ref("scan-1"), first);
  EXPECT_EQ(scheduler.expire_client_refs(wall + 41), 1u) << "100 s after the first ended";
  EXPECT_EQ(scheduler.job_for_client_ref("scan-1"), std::nullopt);
  EXPECT_EQ(scheduler.job_for_client_ref("scan-2"), second) << "its job is still in the table";
  EXPECT_EQ(scheduler.client_refs(), 1u);
  // Submitted again after expiry: a new job, which the ref now names.
  const std::string again = complete_one_unit_job("/o/1b.h5", "scan-1");
  EXPECT_NE(again, first);
  EXPECT_EQ(scheduler.job_for_client_ref("scan-1"), again);
  // A job still in the table keeps its ref whatever its age.
  EXPECT_EQ(scheduler.expire_client_refs(wall + 1e6), 1u) << "only scan-2, now forgotten";
  EXPECT_EQ(scheduler.job_for_client_ref("scan-1"), again);
}

TEST_F(SchedulerTest, ExpiredRefsLeaveTheReplayedAndCompactedJournal) {
  SchedulerSettings keep_one = settings();
  keep_one.keep_finished_jobs = 1;
  keep_one.client_ref_horizon_s = 1000;
  scheduler = Scheduler(keep_one);
  join("g1", 1);
  std::vector<std::string> jobs;
  for (int i = 0; i < 4; ++i) {
    wall = 1.8e9 + 500.0 * i; // ends at 0, 500, 1000, 1500 s
    jobs.push_back(complete_one_unit_job(fmt::format("/o/{}.h5", i), fmt::format("ref-{}", i)));
  }
  const auto replayed = [&](const std::vector<nlohmann::json>& records, double at) {
    auto rebuilt = std::make_unique<Scheduler>(keep_one);
    for (const auto& record : records) rebuilt->replay(record);
    rebuilt->resume_after_replay();
    rebuilt->expire_client_refs(at);
    return rebuilt;
  };
  // Restarted at 1800 s: ref-0 and ref-1 ended 1000 s or more before; ref-2 did
  // not; ref-3's job is still in the table.
  const double restart = 1.8e9 + 1800;
  const auto original = replayed(out.journal, restart);
  EXPECT_EQ(original->job_for_client_ref("ref-0"), std::nullopt);
  EXPECT_EQ(original->job_for_client_ref("ref-1"), std::nullopt);
  EXPECT_EQ(original->job_for_client_ref("ref-2"), jobs[2]);
  EXPECT_EQ(original->job_for_client_ref("ref-3"), jobs[3]);
  const std::vector<nlohmann::json> compacted = original->journal_records();
  size_t ref_records = 0;
  for (const auto& record : compacted)
    if (record["rec"] == "ref") {
      ++ref_records;
      EXPECT_EQ(record["client_ref"], "ref-2");
      EXPECT_EQ(record["ended"], 1.8e9 + 1000) << "the end travels with the ref";
    }
  EXPECT_EQ(ref_records, 1u) << "expired refs are not written again";
  const auto again = replayed(compacted, restart);
  EXPECT_EQ(again->job_for_client_ref("ref-2"), jobs[2]);
  EXPECT_EQ(again->journal_records(), compacted);
  EXPECT_EQ(again->expire_client_refs(1.8e9 + 2001), 1u) << "ref-2's horizon, as before";

  // A journal from before refs recorded their end: the horizon starts at
  // the first expiry after replay, never earlier.
  auto old = std::make_unique<Scheduler>(keep_one);
  old->replay({{"rec", "ref"}, {"client_ref", "ref-old"}, {"job", "j000042"}});
  old->resume_after_replay();
  EXPECT_EQ(old->expire_client_refs(restart), 0u);
  EXPECT_EQ(old->job_for_client_ref("ref-old"), "j000042");
  EXPECT_EQ(old->expire_client_refs(restart + 999), 0u);
  EXPECT_EQ(old->expire_client_refs(restart + 1001), 1u);
}

TEST_F(SchedulerTest, AJournalEndStateThisMasterDoesNotKnowIsRefusedByName) {
  const std::string job = submit("/o/a.h5", 1);
  Scheduler restarted(settings());
  restarted.replay(out.journal.front());
  for (const char* state : {"exploded", "running"}) {
    try {
      restarted.replay({{"rec", "ended"}, {"job", job}, {"state", state}, {"finished", wall}});
      ADD_FAILURE() << "an end in state " << state << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fmt::format("job {} ended in state '{}'", job, state)),
                std::string::npos)
          << e.what();
    }
  }
}

TEST_F(SchedulerTest, CountersForTheMetrics) {
  const std::string good = submit("/o/good.h5", 2);
  join("g1", 3);
  dispatch();
  int64_t lease = sent_to<proto::Assign>("g1").back().lease;
  worker("g1", proto::UnitsDone{good, lease, {0, 1}});
  worker("g1", proto::JobFinished{good, lease});
  const std::string bad = submit("/o/bad.h5", 3);
  dispatch();
  lease = sent_to<proto::Assign>("g1").back().lease;
  worker("g1", proto::UnitsDone{bad, lease, {0}});
  // Units 1 and 2 fail together: both charged, both back in the queue.
  worker("g1", proto::UnitsFailed{bad, lease, {1, 2}, "disk on fire"});
  EXPECT_EQ(scheduler.counters().units_failed, 2u);
  EXPECT_EQ(scheduler.counters().units_requeued, 2u);
  // The group goes silent holding them: lost, charged again.
  dispatch();
  now += 4s;
  scheduler.tick(now, wall, out);
  const SchedulerCounters& c = scheduler.counters();
  EXPECT_EQ(c.units_done, 3u);
  EXPECT_EQ(c.units_failed, 4u);
  EXPECT_EQ(c.units_requeued, 4u);
  EXPECT_EQ(c.groups_lost, 1u);
  EXPECT_EQ(c.jobs_completed, (std::map<std::string, uint64_t>{{"benchmark", 1}}));
  EXPECT_TRUE(c.jobs_failed.empty());
  // A third charge quarantines them and fails the job; an orderly
  // disconnect is no loss.
  join("g2", 3);
  dispatch();
  lease = sent_to<proto::Assign>("g2").back().lease;
  worker("g2", proto::UnitsFailed{bad, lease, {1, 2}, "disk on fire"});
  worker("g2", proto::Disconnect{});
  EXPECT_EQ(c.units_failed, 6u);
  EXPECT_EQ(c.units_requeued, 4u) << "quarantined units do not go back";
  EXPECT_EQ(c.groups_lost, 1u);
  EXPECT_EQ(c.jobs_failed, (std::map<std::string, uint64_t>{{"benchmark", 1}}));
  const auto states = scheduler.jobs_by_state();
  EXPECT_EQ(states.at(proto::state::completed), 1);
  EXPECT_EQ(states.at(proto::state::failed), 1);
  EXPECT_EQ(states.at(proto::state::running), 0) << "every state is listed";
  EXPECT_EQ(scheduler.ranks(), 0);
}

TEST_F(SchedulerTest, HeartbeatIntervalsNeedNotMatch) {
  // The group beats every 250 ms and expects the same; the master beats every 1 s.
  worker("fast", proto::Ready{"fast", "host", 2, 4, 250});
  out = {};
  now += 300ms;
  scheduler.tick(now, wall, out);
  EXPECT_EQ(sent_to<proto::Heartbeat>("fast").size(), 1u) << "beats at the group's interval";
  out = {};
  now += 2s; // silent 2.3 s: under 3 x the longer interval
  scheduler.tick(now, wall, out);
  EXPECT_FALSE(has_topic(proto::topic::worker_lost));
  now += 1s;
  scheduler.tick(now, wall, out);
  EXPECT_TRUE(has_topic(proto::topic::worker_lost));
}

TEST_F(SchedulerTest, ProbesAreAnsweredAndAssignmentsSayWhenAGroupIsForgotten) {
  // Fencing rests on these two: the group learns how long the master waits
  // for it, and when the master last heard it.
  const std::string job = submit("/o/a.h5", 2);
  join("g1", 2);
  out = {};
  worker("g1", proto::Heartbeat{41});
  const auto answers = sent_to<proto::Heartbeat>("g1");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].probe, 41);
  worker("g1", proto::Heartbeat{}); // a plain heartbeat needs no answer
  EXPECT_EQ(sent_to<proto::Heartbeat>("g1").size(), 1u);
  dispatch();
  const auto assign = sent_to<proto::Assign>("g1");
  ASSERT_EQ(assign.size(), 1u);
  EXPECT_EQ(assign[0].job, job);
  EXPECT_EQ(assign[0].group_timeout_ms, 3000) << "liveness 3 x heartbeat 1 s";
  // A group the master has forgotten gets no answer to its probe, but is
  // told to register again: its lease is gone.
  out = {};
  worker("ghost", proto::Heartbeat{7});
  EXPECT_TRUE(sent_to<proto::Heartbeat>("ghost").empty());
  EXPECT_EQ(sent_to<proto::Disconnect>("ghost").size(), 1u);
}

TEST_F(SchedulerTest, WhoSubmittedIsRecordedListedAndReplayed) {
  proto::SubmitRequest request;
  request.job = {"/data/in.h5", "benchmark", "/o/a.h5", nlohmann::json::object(), {}};
  const std::string job = scheduler.accept(request, 4, {{0, 4}}, wall, out, "alice");
  const std::string anonymous = submit("/o/b.h5", 1);
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(std::get<proto::JobQueued>(out.events[0]).submitted_by, "alice");
  EXPECT_FALSE(std::get<proto::JobQueued>(out.events[1]).submitted_by) << "unknown: left out";
  EXPECT_EQ(scheduler.job_rows()[0].submitted_by, "alice");
  EXPECT_FALSE(scheduler.job_rows()[1].submitted_by);

  Scheduler restarted(settings());
  for (const auto& record : out.journal) restarted.replay(record);
  EXPECT_EQ(row_of(restarted, job).value().submitted_by, "alice");
  EXPECT_FALSE(row_of(restarted, anonymous).value().submitted_by);
}

TEST_F(SchedulerTest, UnknownGroupIsAskedToRegister) {
  worker("ghost", proto::Heartbeat{});
  EXPECT_EQ(sent_to<proto::Disconnect>("ghost").size(), 1u);
}

TEST_F(SchedulerTest, ReplayResumesUnfinishedJobsWithoutRedoingDurableUnits) {
  const std::string done_job = submit("/o/done.h5", 1, 0, "ref-a");
  const std::string open_job = submit("/o/open.h5", 3);
  join("g1", 3);
  join("g2", 3);
  dispatch();
  const int64_t lease_a = sent_to<proto::Assign>("g1")[0].lease;
  const int64_t lease_b = sent_to<proto::Assign>("g2")[0].lease;
  worker("g1", proto::UnitsDone{done_job, lease_a, {0}});
  worker("g1", proto::JobFinished{done_job, lease_a});
  worker("g2", proto::UnitsDone{open_job, lease_b, {1}});
  std::vector<nlohmann::json> journal = out.journal;

  Scheduler restarted(settings());
  restarted.replay({{"rec", "start"}});
  for (const auto& record : journal) restarted.replay(record);
  EXPECT_EQ(restarted.resume_after_replay(), 1);
  EXPECT_EQ(row_of(restarted, done_job).value().state, proto::state::completed);
  EXPECT_EQ(restarted.job_for_client_ref("ref-a"), done_job);
  const auto open = row_of(restarted, open_job);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->state, proto::state::queued);
  EXPECT_EQ(open->units_done, 1);
  Outbox fresh;
  restarted.on_worker("g9", proto::Ready{"g9", "h", 2, 8}, now, wall, fresh);
  restarted.hold_resumed_jobs(now + 3s);
  restarted.dispatch(now, wall, fresh);
  EXPECT_TRUE(fresh.to_workers.empty()) << "old holders get time to close the output first";
  restarted.dispatch(now + 3s, wall, fresh);
  ASSERT_EQ(fresh.to_workers.size(), 1u);
  const auto& assign = std::get<proto::Assign>(fresh.to_workers[0].second);
  EXPECT_TRUE(assign.resume);
  EXPECT_EQ(indices(assign.units), (std::vector<int64_t>{0, 2}));
  EXPECT_GT(assign.lease, lease_b) << "lease numbers never repeat across restarts";
  const std::string next = restarted.accept(
      proto::SubmitRequest{{"/i", "p", "/o/x.h5", {}, {}}, {}, 0}, 4, {{0, 4}}, wall, fresh);
  EXPECT_GT(next, open_job) << "job ids never repeat";
}

TEST_F(SchedulerTest, CompactedJournalRebuildsTheSameState) {
  // Five jobs end (one failed), one is half done; the table keeps two ended.
  SchedulerSettings keep_two = settings();
  keep_two.keep_finished_jobs = 2;
  scheduler = Scheduler(keep_two);
  scheduler.replay({{"rec", "start"}});
  std::vector<std::string> ended;
  join("g1", 1);
  for (int i = 0; i < 5; ++i) {
    ended.push_back(submit(fmt::format("/o/{}.h5", i), 1, 0, fmt::format("ref-{}", i)));
    dispatch();
    const int64_t lease = sent_to<proto::Assign>("g1").back().lease;
    if (i == 3) {
      worker("g1", proto::UnitsFailed{ended[i], lease, {0}, "disk on fire"});
      for (int retry = 0; retry < 2; ++retry) {
        dispatch();
        worker("g1", proto::UnitsFailed{
                         ended[i], sent_to<proto::Assign>("g1").back().lease, {0}, "disk on fire"});
      }
      continue;
    }
    worker("g1", proto::UnitsDone{ended[i], lease, {0}});
    worker("g1", proto::JobFinished{ended[i], lease});
  }
  const std::string open_job = submit("/o/open.h5", 3, 4, "ref-open");
  dispatch();
  worker("g1", proto::UnitsDone{open_job, sent_to<proto::Assign>("g1").back().lease, {0}});
  ASSERT_EQ(row(ended[3]).state, proto::state::failed);

  const auto replayed = [&](const std::vector<nlohmann::json>& records) {
    auto rebuilt = std::make_unique<Scheduler>(keep_two);
    for (const auto& record : records) rebuilt->replay(record);
    rebuilt->resume_after_replay();
    return rebuilt;
  };
  std::vector<nlohmann::json> journal = {{{"rec", "start"}}};
  journal.insert(journal.end(), out.journal.begin(), out.journal.end());
  const auto original = replayed(journal);
  const std::vector<nlohmann::json> compacted = original->journal_records();
  EXPECT_LT(compacted.size(), journal.size());
  const auto again = replayed(compacted);

  EXPECT_EQ(again->job_rows(), original->job_rows());
  EXPECT_FALSE(row_of(*again, ended[0])) << "forgotten, as before";
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(again->job_for_client_ref(fmt::format("ref-{}", i)), ended[i]);
  EXPECT_EQ(row_of(*again, ended[3]).value().error, row_of(*original, ended[3]).value().error);
  EXPECT_EQ(row_of(*again, open_job).value().units_done, 1);
  // A compaction of the compacted journal changes nothing.
  EXPECT_EQ(again->journal_records(), compacted);
  // Ids and leases go on where they would have.
  Outbox a, b;
  const proto::SubmitRequest next{{"/i", "p", "/o/next.h5", {}, {}}, {}, 0};
  EXPECT_EQ(again->accept(next, 4, {{0, 4}}, wall, b),
            original->accept(next, 4, {{0, 4}}, wall, a));
  for (Scheduler* s : {original.get(), again.get()}) {
    Outbox& o = s == original.get() ? a : b;
    s->on_worker("g9", proto::Ready{"g9", "h", 2, 8}, now, wall, o);
    s->dispatch(now, wall, o);
  }
  const auto lease_of = [](const Outbox& o) {
    for (const auto& [to, message] : o.to_workers)
      if (const auto* assign = std::get_if<proto::Assign>(&message)) return assign->lease;
    return int64_t{-1};
  };
  EXPECT_EQ(lease_of(b), lease_of(a));
  EXPECT_GT(lease_of(b), 0);
}

} // namespace
} // namespace h5io::master
