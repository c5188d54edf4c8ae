// The worker's side of a lease without sockets or MPI: LeasedSchedule on a
// group of one, fed by a fake master (FakeChannel) and driven in the order
// Pipeline::run drives a schedule. Fencing, releases, stale leases and which
// units a failure is charged to.

#include "fake_channel.hpp"

#include "worker/leased_schedule.hpp"

#include "common/util/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace h5io::worker {
namespace {

using namespace std::chrono_literals;
using test::FakeChannel;

constexpr int64_t kSlicesPerUnit = 4;
constexpr int64_t kPlannedUnits = 8;
const std::string kJob = "job-1";
constexpr int64_t kLease = 7;

int64_t unit_index(const Unit& unit) {
  return unit.first / kSlicesPerUnit;
}

// An `assign` of this job (its other fields do not matter to the schedule).
proto::Assign assign(int64_t lease) {
  proto::Assign message;
  message.job = kJob;
  message.lease = lease;
  return message;
}

std::vector<proto::UnitRange> ranges(const std::vector<int64_t>& indices) {
  std::vector<proto::UnitRange> list;
  for (const int64_t i : indices) list.push_back({i, i * kSlicesPerUnit, kSlicesPerUnit});
  return list;
}

class LeasedScheduleTest : public ::testing::Test {
protected:
  LeasedScheduleTest() {
    plan.total_slices = kPlannedUnits * kSlicesPerUnit;
    plan.slices_per_unit = kSlicesPerUnit;
    for (int64_t i = 0; i < kPlannedUnits; ++i)
      plan.units.push_back(Unit{i * kSlicesPerUnit, kSlicesPerUnit});
  }

  // The lease as `assign` opens it. The report interval is long, so that
  // when the group reports depends on credit alone, not on the clock.
  LeasedSchedule& lease(const std::vector<int64_t>& first_units, int credit,
                        std::chrono::milliseconds group_timeout = 0ms) {
    schedule.emplace(group, plan, &channel, Lease{kJob, kLease, group_timeout}, ranges(first_units),
                     ScheduleSettings{credit, 1h}, stop);
    return *schedule;
  }

  // The master's part for a job of `total` units: each `done` is answered
  // with as many new units as it reported (credit), and `finish` once every
  // unit is reported.
  void master_tops_up_to(int64_t total, int64_t already_leased) {
    next_unit = already_leased;
    channel.on_send = [this, total](const proto::WorkerMessage& message) {
      const auto* done = std::get_if<proto::UnitsDone>(&message);
      if (done == nullptr) return;
      std::vector<int64_t> more;
      for (size_t i = 0; i < done->units.size() && next_unit < total; ++i)
        more.push_back(next_unit++);
      if (!more.empty()) channel.push(proto::MoreUnits{kJob, kLease, ranges(more)});
      if (reported().size() == static_cast<size_t>(total))
        channel.push(proto::Finish{kJob, kLease});
    };
  }

  // Runs the schedule as Pipeline::run does (common/pipeline/pipeline.cpp): round k
  // is computed while round k-1 is written and round k+1 handed out; a
  // round is written only if may_write() says so, and round_written() is
  // called for it once the round's errors are agreed. The unit
  // `failing` throws while it is computed (a library's error), after the
  // next round was handed out, as the pipeline's agreement does.
  void run() {
    const std::function<void()> flush = [this] { ++flushes; };
    const auto hand_out = [this](std::optional<Unit>& unit) {
      const bool more = schedule->next_round(unit);
      ++rounds;
      if (after_round) after_round(rounds);
      return more;
    };
    try {
      std::optional<Unit> current;
      std::optional<Unit> next;
      std::optional<Unit> to_write;
      bool writing = false; // a round was computed and waits to be written
      bool fenced = false;
      bool more = hand_out(current);
      while (more) {
        if (writing && !fenced) fenced = !schedule->may_write();
        if (writing && !fenced && to_write) write(unit_index(*to_write));
        more = hand_out(next);
        if (current && failing == unit_index(*current))
          throw Error("library failed on unit " + std::to_string(unit_index(*current)));
        if (writing && !fenced) schedule->round_written(flush, false);
        to_write = current;
        writing = true;
        std::swap(current, next);
      }
      if (writing && !fenced && schedule->may_write()) {
        if (to_write) write(unit_index(*to_write));
        schedule->round_written(flush, true);
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
  }

  void write(int64_t unit) {
    written.push_back(unit);
    if (while_writing) while_writing(unit);
  }

  // Every unit the group reported done, in order; each `done` must be for
  // this lease.
  std::vector<int64_t> reported() const {
    std::vector<int64_t> units;
    for (const proto::UnitsDone& done : channel.sent_of<proto::UnitsDone>()) {
      EXPECT_EQ(done.job, kJob);
      EXPECT_EQ(done.lease, kLease);
      units.insert(units.end(), done.units.begin(), done.units.end());
    }
    return units;
  }

  static std::vector<int64_t> sorted(std::vector<int64_t> units) {
    std::sort(units.begin(), units.end());
    return units;
  }

  const Group group{Group::Solo{}};
  UnitPlan plan;
  FakeChannel channel;
  std::atomic<bool> stop{false};
  std::optional<LeasedSchedule> schedule;
  int64_t next_unit = 0;

  // What run() saw.
  std::function<void(int)> after_round;       // called with k after round k was handed out
  std::function<void(int64_t)> while_writing; // called with each unit as it is written
  std::optional<int64_t> failing;
  int rounds = 0;
  int flushes = 0;
  std::vector<int64_t> written;
  std::optional<std::string> error;
};

// ---- the ordinary run, against which the other cases differ --------------

TEST_F(LeasedScheduleTest, WritesReportsAndFinishesEveryUnitLeased) {
  lease({0, 1}, 2);
  master_tops_up_to(6, 2);
  run();
  EXPECT_FALSE(error) << *error;
  EXPECT_EQ(written, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(reported(), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(flushes, static_cast<int>(channel.sent_of<proto::UnitsDone>().size()))
      << "every `done` promises flushed data";
  EXPECT_EQ(schedule->ending(), JobEnding::finished);
  EXPECT_FALSE(schedule->lease_lapsed());
  EXPECT_TRUE(schedule->unfinished_units().empty());
}

// ---- probe expiry: no answer from the master, no write -------------------

TEST_F(LeasedScheduleTest, AProbeUnansweredForTheGroupTimeoutStopsTheWrites) {
  lease({0, 1}, 2, 400ms);
  master_tops_up_to(6, 2);
  size_t written_when_held = 0;
  after_round = [&](int round) {
    // Once unit 0 is written, the master stops answering: its last answer
    // is for a probe sent a whole group timeout ago.
    if (round == 3) channel.confirmed_at = FakeChannel::Clock::now() - 400ms;
  };
  channel.on_wait = [&] {
    written_when_held = written.size();
    // ... until the link gives the master up (liveness): the lease is void.
    if (channel.waits == 3) channel.push_reset("the master went silent");
  };
  run();
  EXPECT_FALSE(error) << *error;
  EXPECT_EQ(channel.waits, 3) << "the group waits for an answer before it gives up";
  EXPECT_EQ(written_when_held, 1u);
  EXPECT_EQ(written, (std::vector<int64_t>{0})) << "nothing written once the probe expired";
  EXPECT_EQ(reported(), (std::vector<int64_t>{0}));
  EXPECT_EQ(schedule->ending(), JobEnding::link_lost);
  EXPECT_TRUE(schedule->lease_lapsed()) << "the output may be another group's now";
}

TEST_F(LeasedScheduleTest, AnAnswerWithinThreeQuartersOfTheTimeoutVouchesAnOlderOneDoesNot) {
  // PROTOCOL.md, Fencing: a probe answered less than 3/4 x group_timeout
  // ago vouches for the lease; older ones hold the write back.
  lease({0, 1, 2}, 4, 40s);
  channel.confirmed_at = FakeChannel::Clock::now() - 29s;
  channel.on_wait = [&] { ADD_FAILURE() << "held back a write the master vouched for"; };
  channel.on_send = [&](const proto::WorkerMessage& message) {
    if (std::holds_alternative<proto::UnitsDone>(message) && reported().size() == 3)
      channel.push(proto::Finish{kJob, kLease});
  };
  run();
  EXPECT_EQ(written, (std::vector<int64_t>{0, 1, 2}));

  // Past 3/4 of the timeout the same schedule waits for the master (and,
  // told to stop meanwhile, gives the write up).
  channel.on_wait = [&] { stop = true; };
  channel.confirmed_at = FakeChannel::Clock::now() - 31s;
  EXPECT_FALSE(schedule->may_write());
  EXPECT_EQ(channel.waits, 1);
}

TEST_F(LeasedScheduleTest, AHeldWriteGoesAheadWhenTheMasterAnswersInTime) {
  lease({0, 1}, 2, 400ms);
  master_tops_up_to(4, 2);
  std::vector<size_t> written_while_held;
  after_round = [&](int round) {
    if (round == 3) channel.confirmed_at = FakeChannel::Clock::now() - 400ms;
  };
  channel.on_wait = [&] {
    written_while_held.push_back(written.size());
    if (channel.waits == 2) channel.confirmed_at = FakeChannel::Clock::now(); // the answer
  };
  run();
  EXPECT_FALSE(error) << *error;
  EXPECT_EQ(written_while_held, (std::vector<size_t>{1, 1})) << "unit 1 waited for the answer";
  EXPECT_EQ(written, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(reported(), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(schedule->ending(), JobEnding::finished);
  EXPECT_FALSE(schedule->lease_lapsed());
}

TEST_F(LeasedScheduleTest, StoppingWhileAWriteIsHeldBackWritesNothingMore) {
  lease({0, 1}, 2, 400ms);
  master_tops_up_to(4, 2);
  after_round = [&](int round) {
    if (round == 3) channel.confirmed_at = FakeChannel::Clock::now() - 400ms;
  };
  channel.on_wait = [&] { stop = true; }; // SIGTERM while the master is silent
  run();
  EXPECT_FALSE(error) << *error;
  EXPECT_EQ(written, (std::vector<int64_t>{0}));
  EXPECT_EQ(reported(), (std::vector<int64_t>{0}));
  EXPECT_EQ(schedule->ending(), JobEnding::stopping);
  EXPECT_TRUE(schedule->lease_lapsed()) << "a write was refused for want of the master's word";
}

TEST_F(LeasedScheduleTest, WithoutAGroupTimeoutNothingIsFenced) {
  // A master that does not say group_timeout_ms (older masters): no probe
  // answer is needed to write.
  lease({0, 1}, 2);
  channel.confirmed_at = {};
  master_tops_up_to(3, 2);
  run();
  EXPECT_EQ(channel.waits, 0);
  EXPECT_EQ(written, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(schedule->ending(), JobEnding::finished);
}

// ---- the master releases the lease while a round runs ---------------------

TEST_F(LeasedScheduleTest, AReleaseMidRoundStopsBeforeTheNextWriteAndReportsNothingMore) {
  lease({0, 1}, 2);
  master_tops_up_to(6, 2);
  after_round = [&](int round) {
    // Unit 0 is being written and unit 1 computed when the master, having
    // given up on this lease, says `release`.
    if (round == 3) channel.push(proto::Release{kJob, kLease, "the lease expired", false});
  };
  run();
  EXPECT_FALSE(error) << *error;
  EXPECT_EQ(written, (std::vector<int64_t>{0})) << "unit 1 was computed, never written";
  EXPECT_EQ(reported(), (std::vector<int64_t>{0})) << "only what was written before the release";
  EXPECT_TRUE(channel.sent_of<proto::UnitsFailed>().empty());
  EXPECT_TRUE(channel.sent_of<proto::JobFinished>().empty());
  EXPECT_EQ(schedule->ending(), JobEnding::released);
  EXPECT_TRUE(schedule->lease_lapsed()) << "another group may hold the output now";
  EXPECT_FALSE(schedule->job_ended()) << "the partial output is kept for the next holder";
  // Unit 2 arrived (for unit 0's report) just before the release: leased,
  // never started, and the master's to re-queue like unit 1.
  EXPECT_EQ(schedule->unfinished_units(), (std::vector<int64_t>{1, 2}));
}

TEST_F(LeasedScheduleTest, AReleaseWhileARoundIsWrittenLeavesThatRoundUnreported) {
  lease({0, 1, 2, 3}, 2);
  while_writing = [&](int64_t unit) {
    // The write began inside the lease (PROTOCOL.md, Fencing: it writes the
    // same bytes the next holder will), but the master refuses reports on
    // an ended lease: the group must not send one.
    if (unit == 1) channel.push(proto::Release{kJob, kLease, "the lease expired", false});
  };
  run();
  EXPECT_FALSE(error) << *error;
  EXPECT_EQ(written, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(reported(), (std::vector<int64_t>{0}));
  EXPECT_EQ(schedule->ending(), JobEnding::released);
  EXPECT_TRUE(schedule->lease_lapsed());
  EXPECT_EQ(schedule->unfinished_units(), (std::vector<int64_t>{1, 2, 3}));
}

TEST_F(LeasedScheduleTest, AReleaseBecauseTheJobEndedSaysSo) {
  lease({0, 1, 2, 3}, 4);
  after_round = [&](int round) {
    if (round == 2) channel.push(proto::Release{kJob, kLease, "cancelled", true});
  };
  run();
  EXPECT_TRUE(written.empty());
  EXPECT_TRUE(reported().empty());
  EXPECT_EQ(schedule->ending(), JobEnding::released);
  EXPECT_TRUE(schedule->job_ended()) << "the group deletes the partial file it created";
}

TEST_F(LeasedScheduleTest, ALostLinkMidRoundVoidsTheLeaseLikeARelease) {
  lease({0, 1}, 2);
  master_tops_up_to(6, 2);
  after_round = [&](int round) {
    if (round == 4) channel.push_reset("the master does not know this group");
  };
  run();
  EXPECT_EQ(written, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(reported(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(schedule->ending(), JobEnding::link_lost);
  EXPECT_TRUE(schedule->lease_lapsed());
}

// ---- stale leases -----------------------------------------------------------

TEST_F(LeasedScheduleTest, MessagesForAnOldLeaseAreIgnored) {
  lease({0, 1}, 2);
  // Stragglers of this group's previous lease of the job, and of another job.
  channel.push(proto::MoreUnits{kJob, kLease - 1, ranges({2, 3})});
  channel.push(proto::Release{kJob, kLease - 1, "the lease expired", true});
  channel.push(proto::Finish{kJob, kLease - 1});
  channel.push(proto::MoreUnits{"job-0", kLease, ranges({4})});
  channel.push(assign(kLease)); // a repeat of this lease's
  channel.on_send = [&](const proto::WorkerMessage& message) {
    if (std::holds_alternative<proto::UnitsDone>(message) && reported().size() == 2)
      channel.push(proto::Finish{kJob, kLease});
  };
  run();
  EXPECT_FALSE(error) << *error;
  EXPECT_EQ(written, (std::vector<int64_t>{0, 1})) << "no unit of another lease is processed";
  EXPECT_EQ(reported(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(schedule->ending(), JobEnding::finished) << "neither the old release nor finish";
  EXPECT_FALSE(schedule->job_ended());
  EXPECT_FALSE(schedule->take_leftover());
}

TEST_F(LeasedScheduleTest, AnAssignOfANewLeaseEndsThisOneAndIsKeptForTheNext) {
  lease({0, 1, 2}, 4);
  after_round = [&](int round) {
    if (round == 2) channel.push(assign(kLease + 1));
  };
  run();
  EXPECT_TRUE(written.empty());
  EXPECT_EQ(schedule->ending(), JobEnding::released);
  EXPECT_TRUE(schedule->lease_lapsed());
  const std::optional<proto::MasterMessage> next = schedule->take_leftover();
  ASSERT_TRUE(next);
  ASSERT_TRUE(std::holds_alternative<proto::Assign>(*next));
  EXPECT_EQ(std::get<proto::Assign>(*next).lease, kLease + 1);
}

// ---- which units a failure is charged to ---------------------------------

TEST_F(LeasedScheduleTest, AFailureIsChargedToTheRoundBeingComputedOnly) {
  lease({0, 1}, 2);
  master_tops_up_to(6, 2);
  failing = 3;
  run();
  ASSERT_TRUE(error);
  EXPECT_EQ(*error, "library failed on unit 3");
  // Units 0 and 1 are reported done; unit 2 is written (not yet reported):
  // none of them failed, and the master re-queues unit 2 uncharged.
  EXPECT_EQ(reported(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(written, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(schedule->failed_units(), (std::vector<int64_t>{3}));
  EXPECT_EQ(sorted(schedule->unfinished_units()), (std::vector<int64_t>{2, 3}));
}

TEST_F(LeasedScheduleTest, AFailureOfTheFirstRoundIsChargedToIt) {
  lease({0, 1, 2, 3}, 4);
  failing = 0;
  run();
  ASSERT_TRUE(error);
  EXPECT_EQ(schedule->failed_units(), (std::vector<int64_t>{0}))
      << "not unit 1, handed out (and read) while unit 0 was computed";
}

TEST_F(LeasedScheduleTest, AFailureInTheLastRoundIsChargedToIt) {
  lease({0, 1, 2}, 2);
  failing = 2;
  run();
  ASSERT_TRUE(error);
  EXPECT_EQ(schedule->failed_units(), (std::vector<int64_t>{2}));
}

TEST_F(LeasedScheduleTest, AFailureAsTheGroupStopsIsChargedToTheRoundComputed) {
  // No round follows the failing one (the group was told to stop): the
  // round computing is the last handed out.
  lease({0, 1, 2, 3}, 4);
  after_round = [&](int round) {
    if (round == 2) stop = true;
  };
  failing = 1;
  run();
  ASSERT_TRUE(error);
  EXPECT_EQ(schedule->ending(), JobEnding::stopping);
  EXPECT_EQ(schedule->failed_units(), (std::vector<int64_t>{1}));
}

TEST_F(LeasedScheduleTest, APlanDisagreementChargesEveryUnitNotDone) {
  // The group cannot do a unit the master leased (the plans differ): the
  // job fails on this group, charged to what it holds and has not reported,
  // the unit it could not place included.
  lease({0, 1}, 2);
  channel.on_send = [&](const proto::WorkerMessage& message) {
    if (std::holds_alternative<proto::UnitsDone>(message))
      channel.push(proto::MoreUnits{kJob, kLease, {{2, 9, 3}}});
  };
  run();
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("disagree on the job's plan"), std::string::npos) << *error;
  EXPECT_EQ(reported(), (std::vector<int64_t>{0}));
  EXPECT_EQ(sorted(schedule->failed_units()), (std::vector<int64_t>{1, 2}));
}

} // namespace
} // namespace h5io::worker
