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
  const proto::JobRequest job{"/data/scan.nxs", "tomo_fbp", "/data/recon.h5",
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
  proto::Snapshot snapshot{118, 1795755600.25, "m-1795755590-4242", json::array(), json::array()};
  print("client.schema.json", "snapshot", proto::encode(snapshot));
  snapshot.jobs.push_back({{"job", "j000001"},
                           {"state", "running"},
                           {"input", "/data/scan.nxs"},
                           {"output", "/data/recon.h5"},
                           {"plugin", "tomo_fbp"},
                           {"priority", 0},
                           {"client_ref", "scan-17"},
                           {"submitted_by", "alice"},
                           {"done", 96},
                           {"total", 256},
                           {"units_done", 3},
                           {"units_total", 8},
                           {"group", "w-host1-3120"},
                           {"submitted", 1795755591.0},
                           {"started", 1795755592.1}});
  snapshot.jobs.push_back({{"job", "j000002"},
                           {"state", "failed"},
                           {"input", "/a.h5"},
                           {"output", "/b.h5"},
                           {"plugin", "benchmark"},
                           {"priority", 3},
                           {"done", 0},
                           {"total", 10},
                           {"units_done", 0},
                           {"units_total", 1},
                           {"submitted", 1.0},
                           {"started", 2.0},
                           {"finished", 3.0},
                           {"wall", 2.0},
                           {"error", "boom"}});
  snapshot.workers.push_back({{"group", "w-host1-3120"},
                              {"host", "host1"},
                              {"ranks", 2},
                              {"job", "j000001"},
                              {"units_leased", 4},
                              {"last_seen", 1795755600.1}});
  snapshot.workers.push_back({{"group", "w-host2-77"},
                              {"host", "host2"},
                              {"ranks", 1},
                              {"job", nullptr},
                              {"units_leased", 0},
                              {"last_seen", 1.0}});
  print("client.schema.json", "snapshot", proto::encode(snapshot));
}

void status_samples() {
  const auto event = [](const char* topic, json fields) {
    print("status.schema.json", topic,
          proto::encode_event(std::move(fields), 7, 1795755600.5, "m-1"));
  };
  event(proto::topic::job_queued, {{"job", "j1"},
                                   {"input", "/i.h5"},
                                   {"output", "/o.h5"},
                                   {"plugin", "tomo_fbp"},
                                   {"priority", 0},
                                   {"total", 256}});
  event(proto::topic::job_queued, {{"job", "j2"},
                                   {"input", "/i.h5"},
                                   {"output", "/o2.h5"},
                                   {"plugin", "tomo_fbp"},
                                   {"priority", 0},
                                   {"total", 256},
                                   {"submitted_by", "scan watcher"}});
  event(proto::topic::job_started, {{"job", "j1"}, {"group", "w-h-1"}});
  event(proto::topic::job_progress,
        {{"job", "j1"}, {"done", 96}, {"total", 256}, {"rate", 12.5}, {"eta", 12.8}});
  event(proto::topic::job_progress,
        {{"job", "j1"}, {"done", 0}, {"total", 256}, {"rate", 0}, {"eta", nullptr}});
  event(proto::topic::job_requeued, {{"job", "j1"}, {"group", "w-h-1"}, {"reason", "lost"}});
  event(proto::topic::job_completed, {{"job", "j1"}, {"output", "/o.h5"}, {"wall", 31.5}});
  event(proto::topic::job_failed, {{"job", "j1"}, {"error", "library failed"}});
  event(proto::topic::job_cancelled, {{"job", "j1"}});
  event(proto::topic::worker_joined, {{"group", "w-h-1"}, {"host", "h"}, {"ranks", 4}});
  event(proto::topic::worker_lost, {{"group", "w-h-1"}, {"reason", "silent for 3 s"}});
  event(proto::topic::master_started, {{"version", "0.1.0"}, {"jobs_resumed", 2}});
  event(proto::topic::master_heartbeat, {{"jobs_queued", 1}, {"jobs_running", 1}, {"workers", 2}});
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
  from_master("assign",
              proto::Assign{"j1", 3, {"/i.h5", "tomo_fbp", "/o.h5", {{"a", 1}}, {}}, 16, false, units});
  from_master("assign",
              proto::Assign{"j1", 3, {"/i.h5", "", "/o.h5", {}, {{"normalise", {}, true}}}, 16,
                            false, units});
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
