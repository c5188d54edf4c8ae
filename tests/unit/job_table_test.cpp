// The clients' job table: a snapshot, then events, give the state a later
// snapshot would show.
#include "job_table.hpp"

#include <gtest/gtest.h>

using h5io::cli::field;
using h5io::cli::JobTable;
using nlohmann::json;
namespace proto = h5io::proto;

namespace {
proto::Event event(const char* topic, json fields) {
  return {topic, 1, 100.0, "m-1", std::move(fields)};
}
} // namespace

TEST(JobTable, FollowsAJobThroughItsEvents) {
  JobTable table;
  table.load({5, 99.0, "m-1", json::array({{{"job", "j1"}, {"state", "completed"}}}),
              json::array({{{"group", "g1"}, {"host", "h"}, {"ranks", 2}, {"job", nullptr}}})});
  table.apply(event("job.queued", {{"job", "j2"}, {"total", 8}, {"plugin", "p"}}));
  EXPECT_EQ(field<std::string>(*table.find_job("j2"), "state", ""), "queued");
  table.apply(event("job.started", {{"job", "j2"}, {"group", "g1"}}));
  EXPECT_EQ(field<std::string>(*table.find_job("j2"), "state", ""), "running");
  EXPECT_EQ(field<std::string>(table.workers().at("g1"), "job", ""), "j2");
  table.apply(event("job.progress", {{"job", "j2"}, {"done", 4}, {"total", 8}, {"rate", 2.0}}));
  EXPECT_EQ(field<int64_t>(*table.find_job("j2"), "done", 0), 4);
  table.apply(event("job.requeued", {{"job", "j2"}, {"group", "g1"}, {"reason", "lost"}}));
  EXPECT_EQ(field<std::string>(*table.find_job("j2"), "state", ""), "queued");
  EXPECT_FALSE(table.find_job("j2")->contains("group"));
  EXPECT_TRUE(table.workers().at("g1")["job"].is_null());
  table.apply(event("job.completed", {{"job", "j2"}, {"output", "/o.h5"}, {"wall", 3.0}}));
  EXPECT_EQ(field<std::string>(*table.find_job("j2"), "state", ""), "completed");
  EXPECT_EQ(field<int64_t>(*table.find_job("j2"), "done", 0), 8);
  table.apply(event("job.failed", {{"job", "j3"}, {"error", "boom"}}));
  EXPECT_EQ(field<std::string>(*table.find_job("j3"), "error", ""), "boom");
  EXPECT_EQ(table.jobs().size(), 3u);
}

TEST(JobTable, WorkersJoinAndLeaveAndUnknownTopicsChangeNothing) {
  JobTable table;
  table.apply(event("worker.joined", {{"group", "g2"}, {"host", "h2"}, {"ranks", 4}}));
  EXPECT_EQ(field<int64_t>(table.workers().at("g2"), "ranks", 0), 4);
  EXPECT_DOUBLE_EQ(field<double>(table.workers().at("g2"), "last_seen", 0.0), 100.0);
  table.apply(event("worker.lost", {{"group", "g2"}, {"reason", "silent"}}));
  EXPECT_TRUE(table.workers().empty());
  table.apply(event("job.teleported", {{"job", "j1"}}));
  table.apply(event("job.progress", {{"done", 1}})); // no job: ignored
  EXPECT_TRUE(table.jobs().empty());
}
