// h5io_proto_samples: one encoded sample of every protocol v1 message, one
// per line as "SCHEMA_FILE DEFINITION JSON", for tests/e2e/proto_schema_test.py
// to validate against proto/schema/. Encoded by h5io_proto itself, so the
// schemas and the C++ encoders cannot drift apart unnoticed.
#include "proto/messages.hpp"

#include <cstdio>
#include <string>

namespace proto = h5io::proto;
using nlohmann::json;

namespace {

void print(const char* schema, const char* definition, const std::string& frame) {
  std::printf("%s %s %s\n", schema, definition, frame.c_str());
}

void client_samples() {
  const proto::JobRequest job{"/data/scan.nxs",
                              "tomo_fbp",
                              "/data/recon.h5",
                              json{{"center", "128.5"}, {"ring", true}, {"rows", 8}},
                              {}};
  print("client.schema.json", "submit", proto::encode(proto::SubmitRequest{job, "scan-17", 5}));
  const proto::JobRequest pipeline{
      "/data/scan.nxs",
      "",
      "/data/recon.h5",
      json{{"scan.angles", "/entry/rotation"}},
      {{"normalise", json::object(), false},
       {"paganin", json{{"energy_kev", 25}, {"delta_over_beta", 250}}, true},
       {"tomo_fbp", json{{"normalise", false}}, false}}};
  print("client.schema.json", "submit", proto::encode(proto::SubmitRequest{pipeline, {}, 0}));
  print("client.schema.json", "submit", proto::encode(proto::SubmitRequest{job, {}, 0}));
  print("client.schema.json", "status", proto::encode(proto::StatusRequest{}));
  print("client.schema.json", "cancel", proto::encode(proto::CancelRequest{"j000042"}));
  print("client.schema.json", "accepted", proto::encode_accepted("j000042"));
  print("client.schema.json", "rejected", proto::encode_rejected("output exists"));
  print("client.schema.json", "submit", proto::encode(proto::SubmitRequest{pipeline, {}, 0, true}));
  print("client.schema.json", "planned",
        proto::encode_planned({{{"normalise", "projections", "file", false},
                                {"tomo_fbp", "sinograms", "reslicing scratch", false}},
                               2,
                               3,
                               30,
                               4,
                               8,
                               32,
                               int64_t{1} << 28,
                               {"pipeline: 1 normalise (projections) → 2 tomo_fbp (sinograms)"}}));
  proto::Snapshot snapshot{118, 1795755600.25, "m-1795755590-4242"};
  print("client.schema.json", "snapshot", proto::encode(snapshot));
  proto::JobRow running{
      "j000001", "running", "/data/scan.nxs", "/data/recon.h5", "tomo_fbp", 0, 96, 256, 3, 8};
  running.submitted = 1795755591.0;
  running.client_ref = "scan-17";
  running.submitted_by = "alice";
  running.group = "w-host1-3120";
  running.started = 1795755592.1;
  proto::JobRow failed{"j000002", "failed", "/a.h5", "/b.h5", "benchmark", 3, 0, 10, 0, 1};
  failed.submitted = 1.0;
  failed.started = 2.0;
  failed.finished = 3.0;
  failed.wall = 2.0;
  failed.error = "boom";
  proto::JobRow resliced{"j000003", "queued", "/raw.h5", "/c.h5", "tomo_fbp", 0, 0, 64, 0, 12};
  resliced.reslice_units = 4;
  resliced.submitted = 4.0;
  snapshot.jobs = {running, failed, resliced};
  snapshot.workers = {proto::WorkerRow{"w-host1-3120", "host1", 2, "j000001", 4, 1795755600.1},
                      proto::WorkerRow{"w-host2-77", "host2", 1, std::nullopt, 0, 1.0}};
  print("client.schema.json", "snapshot", proto::encode(snapshot));
}

void status_samples() {
  const auto event = [](const proto::StatusEvent& status_event) {
    const std::string topic(proto::topic_of(status_event));
    print("status.schema.json", topic.c_str(),
          proto::encode_event(status_event, 7, 1795755600.5, "m-1"));
  };
  event(proto::JobQueued{"j1", "/i.h5", "/o.h5", "tomo_fbp", 0, 256});
  event(proto::JobQueued{"j2", "/i.h5", "/o2.h5", "tomo_fbp", 0, 256, "scan watcher"});
  event(proto::JobStarted{"j1", "w-h-1"});
  event(proto::JobProgress{"j1", 96, 256, 12.5, 12.8});
  event(proto::JobProgress{"j1", 0, 256, 0.0});
  event(proto::JobProgress{"j1", 0, 256, 0.0, std::nullopt, 3, 8});
  event(proto::JobRequeued{"j1", "w-h-1", "lost"});
  event(proto::JobCompleted{"j1", "/o.h5", 31.5});
  event(proto::JobFailed{"j1", "library failed"});
  event(proto::JobCancelled{"j1"});
  event(proto::WorkerJoined{"w-h-1", "h", 4});
  event(proto::WorkerLost{"w-h-1", "silent for 3 s"});
  event(proto::MasterStarted{"0.1.0", 2});
  event(proto::MasterHeartbeat{1, 1, 2});
}

void worker_samples() {
  const auto from_worker = [](const char* definition, const proto::WorkerMessage& message) {
    print("worker.schema.json", definition, proto::encode(message));
  };
  const auto from_master = [](const char* definition, const proto::MasterMessage& message) {
    print("worker.schema.json", definition, proto::encode(message));
  };
  from_worker("ready", proto::Ready{"w-host1-3120", "host1", 2, 4});
  from_worker("heartbeat", proto::Heartbeat{});
  from_worker("heartbeat", proto::Heartbeat{17});
  from_worker("done", proto::UnitsDone{"j1", 3, {0, 1}});
  from_worker("failed", proto::UnitsFailed{"j1", 3, {2}, "library failed"});
  from_worker("failed", proto::UnitsFailed{"j1", 3, {}, "cannot open"});
  from_worker("finished", proto::JobFinished{"j1", 3});
  from_worker("disconnect", proto::Disconnect{});
  const std::vector<proto::UnitRange> units{{0, 0, 16}, {1, 16, 16}};
  from_master(
      "assign",
      proto::Assign{"j1", 3, {"/i.h5", "tomo_fbp", "/o.h5", {{"a", 1}}, {}}, 16, false, units});
  from_master("assign", proto::Assign{"j1",
                                      3,
                                      {"/i.h5",
                                       "",
                                       "/o.h5",
                                       nlohmann::json::object(),
                                       {{"normalise", nlohmann::json::object(), true}}},
                                      16,
                                      false,
                                      units});
  proto::Assign timed{"j1", 4,    {"/i.h5", "tomo_fbp", "/o.h5", nlohmann::json::object(), {}},
                      16,   true, units};
  timed.group_timeout_ms = 3000;
  from_master("assign", timed);
  proto::Assign resliced = timed;
  resliced.reslice_frames = 64;
  from_master("assign", resliced);
  from_master("units", proto::MoreUnits{"j1", 3, units});
  from_master("finish", proto::Finish{"j1", 3});
  from_master("release", proto::Release{"j1", 3, "lease expired"});
  from_master("release", proto::Release{"j1", 3, "job cancelled", true});
  from_master("heartbeat", proto::Heartbeat{});
  from_master("heartbeat", proto::Heartbeat{17});
  from_master("disconnect", proto::Disconnect{});
}

} // namespace

int main() {
  client_samples();
  status_samples();
  worker_samples();
  return 0;
}
