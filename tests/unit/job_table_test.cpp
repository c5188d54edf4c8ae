// The clients' job table: a snapshot, then events, give the state a later
// snapshot would show. Snapshots and events go through the protocol's
// parsers, as they do when they come from a master.
#include "job_table.hpp"

#include <gtest/gtest.h>

using h5io::cli::JobTable;
using nlohmann::json;
namespace proto = h5io::proto;

namespace {
proto::Event event(const char* topic, json fields) {
  fields.update({{"seq", 1}, {"time", 100.0}, {"epoch", "m-1"}});
  return proto::parse_event(topic, fields.dump());
}
proto::Snapshot snapshot(json jobs, json workers) {
  return proto::parse_snapshot(json{
      {"type", "snapshot"},
      {"seq", 5},
      {"time", 99.0},
      {"epoch", "m-1"},
      {"jobs", std::move(jobs)},
      {"workers",
       std::move(workers)}}.dump());
}
} // namespace

TEST(JobTable, FollowsAJobThroughItsEvents) {
  JobTable table;
  table.load(
      snapshot(json::array({{{"job", "j1"}, {"state", "completed"}}}),
               json::array({{{"group", "g1"}, {"host", "h"}, {"ranks", 2}, {"job", nullptr}}})));
  table.apply(event("job.queued", {{"job", "j2"},
                                   {"input", "/i.h5"},
                                   {"output", "/o.h5"},
                                   {"priority", 0},
                                   {"total", 8},
                                   {"plugin", "p"}}));
  EXPECT_EQ(table.find_job("j2")->state, "queued");
  table.apply(event("job.started", {{"job", "j2"}, {"group", "g1"}}));
  EXPECT_EQ(table.find_job("j2")->state, "running");
  EXPECT_EQ(table.workers().at("g1").job, "j2");
  table.apply(event("job.progress",
                    {{"job", "j2"}, {"done", 4}, {"total", 8}, {"rate", 2.0}, {"eta", nullptr}}));
  EXPECT_EQ(table.find_job("j2")->done, 4);
  ASSERT_NE(table.rate_of("j2"), nullptr);
  EXPECT_DOUBLE_EQ(table.rate_of("j2")->rate, 2.0);
  table.apply(event("job.requeued", {{"job", "j2"}, {"group", "g1"}, {"reason", "lost"}}));
  EXPECT_EQ(table.find_job("j2")->state, "queued");
  EXPECT_FALSE(table.find_job("j2")->group.has_value());
  EXPECT_FALSE(table.workers().at("g1").job.has_value());
  table.apply(event("job.completed", {{"job", "j2"}, {"output", "/o.h5"}, {"wall", 3.0}}));
  EXPECT_EQ(table.find_job("j2")->state, "completed");
  EXPECT_EQ(table.find_job("j2")->done, 8);
  table.apply(event("job.failed", {{"job", "j3"}, {"error", "boom"}}));
  EXPECT_EQ(table.find_job("j3")->error, "boom");
  EXPECT_EQ(table.jobs().size(), 3u);
}

TEST(JobTable, WorkersJoinAndLeaveAndUnknownTopicsChangeNothing) {
  JobTable table;
  table.apply(event("worker.joined", {{"group", "g2"}, {"host", "h2"}, {"ranks", 4}}));
  EXPECT_EQ(table.workers().at("g2").ranks, 4);
  EXPECT_DOUBLE_EQ(table.workers().at("g2").last_seen, 100.0);
  table.apply(event("worker.lost", {{"group", "g2"}, {"reason", "silent"}}));
  EXPECT_TRUE(table.workers().empty());
  table.apply(event("job.teleported", {{"job", "j1"}}));
  // No job: the parser refuses it (the follower skips it, and resyncs on the gap).
  EXPECT_THROW(event("job.progress", {{"done", 1}}), proto::ProtocolError);
  EXPECT_TRUE(table.jobs().empty());
}
