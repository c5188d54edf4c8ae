// Protocol v1 messages: every type survives encode -> parse, and every kind
// of bad frame is refused with a text that says what is wrong.
#include "proto/messages.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace proto = h5io::proto;
using nlohmann::json;

namespace {

proto::JobRequest sample_job() {
  return {"/data/scan.nxs",
          "tomo_fbp",
          "/data/recon.h5",
          json{{"center", 128.5}, {"ring", true}, {"filter", "hann"}, {"rows", 8}},
          {}};
}

// By value: the parsed variant is a temporary.
template <class T, class Variant> T holds(const Variant& message) {
  EXPECT_TRUE(std::holds_alternative<T>(message));
  return std::get<T>(message);
}

} // namespace

// ---------------------------------------------------------------- round trips

TEST(ProtoRoundTrip, ClientRequests) {
  proto::SubmitRequest submit{sample_job(), "scan-17", -12};
  const auto& s = holds<proto::SubmitRequest>(proto::parse_client_request(proto::encode(submit)));
  EXPECT_EQ(s.job.input, submit.job.input);
  EXPECT_EQ(s.job.plugin, submit.job.plugin);
  EXPECT_EQ(s.job.output, submit.job.output);
  EXPECT_EQ(s.job.params, submit.job.params);
  EXPECT_EQ(s.client_ref, submit.client_ref);
  EXPECT_EQ(s.priority, -12);

  submit.client_ref.reset();
  submit.job.params = json::object();
  const auto& bare =
      holds<proto::SubmitRequest>(proto::parse_client_request(proto::encode(submit)));
  EXPECT_FALSE(bare.client_ref);
  EXPECT_TRUE(bare.job.params.empty());

  holds<proto::StatusRequest>(proto::parse_client_request(proto::encode(proto::StatusRequest{})));
  EXPECT_EQ(holds<proto::CancelRequest>(
                proto::parse_client_request(proto::encode(proto::CancelRequest{"j000042"})))
                .job,
            "j000042");
}

TEST(ProtoRoundTrip, SubmitDefaultsWhenOptionalFieldsAreAbsent) {
  const auto& s = holds<proto::SubmitRequest>(proto::parse_client_request(
      R"({"type":"submit","input":"/a.h5","plugin":"benchmark","output":"/b.h5"})"));
  EXPECT_EQ(s.priority, 0);
  EXPECT_FALSE(s.client_ref);
  EXPECT_EQ(s.job.params, json::object());
}

TEST(ProtoRoundTrip, Replies) {
  EXPECT_EQ(proto::parse_accepted(proto::encode_accepted("j000001")), "j000001");
  try {
    proto::parse_accepted(proto::encode_rejected("output '/x.h5' already exists"));
    FAIL() << "a rejection must throw";
  } catch (const proto::ProtocolError& e) {
    EXPECT_STREQ(e.what(), "output '/x.h5' already exists");
  }
}

TEST(ProtoRoundTrip, DryRunAndItsPlan) {
  proto::SubmitRequest submit{sample_job(), std::nullopt, 0, true};
  EXPECT_TRUE(
      holds<proto::SubmitRequest>(proto::parse_client_request(proto::encode(submit))).dry_run);
  submit.dry_run = false;
  EXPECT_EQ(proto::encode(submit).find("dry_run"), std::string::npos)
      << "a plain submit is sent as before the field existed";

  const proto::JobPlan plan{{{"normalise", "projections", "file", false},
                             {"paganin", "projections", "memory", true},
                             {"tomo_fbp", "sinograms", "reslicing scratch", false}},
                            3,
                            4,
                            90,
                            6,
                            2,
                            12,
                            int64_t{5} << 30,
                            {"pipeline: 1 normalise (projections) → …", "plan: 6 units"}};
  EXPECT_EQ(proto::parse_planned(proto::encode_planned(plan)), plan);
  try {
    proto::parse_planned(proto::encode_rejected("pipeline step 2: no library 'pagnin'"));
    FAIL() << "a rejection must throw";
  } catch (const proto::ProtocolError& e) {
    EXPECT_STREQ(e.what(), "pipeline step 2: no library 'pagnin'");
  }
  // Fields a later master adds are ignored.
  json later = json::parse(proto::encode_planned(plan));
  later["gpu_memory_bytes"] = 7;
  EXPECT_EQ(proto::parse_planned(later.dump()), plan);
}

TEST(ProtoRoundTrip, RejectionTextIsClippedToWhatPeersAccept) {
  const std::string long_error(10000, 'e');
  try {
    proto::parse_accepted(proto::encode_rejected(long_error));
    FAIL();
  } catch (const proto::ProtocolError& e) {
    EXPECT_LE(std::string(e.what()).size(), proto::kMaxStringBytes);
    EXPECT_TRUE(std::string(e.what()).ends_with("..."));
  }
}

TEST(ProtoRoundTrip, InvalidUtf8InTextIsReplacedNotThrown) {
  const std::string frame = proto::encode_rejected("cannot open '\xE9t\xE9.h5'");
  EXPECT_NO_THROW(proto::parse_frame(frame));
}

// Rows as the master fills them: every field, and the fewest.
proto::Snapshot sample_snapshot() {
  proto::Snapshot snapshot;
  snapshot.seq = 118;
  snapshot.time = 1795755600.25;
  snapshot.epoch = "m-1795755590-4242";
  proto::JobRow running{
      "j000001", "running", "/data/scan.nxs", "/data/recon.h5", "tomo_fbp", 3, 96, 256, 3, 8,
      2,         1,         1795755591.0};
  running.client_ref = "scan-17";
  running.submitted_by = "alice";
  running.group = "w-host1-3120";
  running.started = 1795755592.5;
  proto::JobRow failed{"j000002", "failed", "/a.h5", "/b.h5", "benchmark"};
  failed.started = 2.0;
  failed.finished = 3.0;
  failed.wall = 2.0;
  failed.error = "";
  snapshot.jobs = {running, failed, proto::JobRow{"j000003", "queued"}};
  snapshot.workers = {proto::WorkerRow{"w-host1-3120", "host1", 2, "j000001", 4, 1795755600.0},
                      proto::WorkerRow{"w-host2-77", "host2", 1}};
  return snapshot;
}

TEST(ProtoRoundTrip, Snapshot) {
  const proto::Snapshot snapshot = sample_snapshot();
  EXPECT_EQ(proto::parse_snapshot(proto::encode(snapshot)), snapshot);
  EXPECT_EQ(json::parse(proto::encode(snapshot))["type"], "snapshot");
}

TEST(ProtoRoundTrip, SnapshotRowsKeepTheirWireFields) {
  const json frame = json::parse(proto::encode(sample_snapshot()));
  EXPECT_EQ(frame["jobs"][0], (json{{"job", "j000001"},
                                    {"state", "running"},
                                    {"input", "/data/scan.nxs"},
                                    {"output", "/data/recon.h5"},
                                    {"plugin", "tomo_fbp"},
                                    {"priority", 3},
                                    {"done", 96},
                                    {"total", 256},
                                    {"units_done", 3},
                                    {"units_total", 8},
                                    {"reslice_units", 2},
                                    {"reslice_done", 1},
                                    {"submitted", 1795755591.0},
                                    {"client_ref", "scan-17"},
                                    {"submitted_by", "alice"},
                                    {"group", "w-host1-3120"},
                                    {"started", 1795755592.5}}));
  EXPECT_FALSE(frame["jobs"][2].contains("reslice_units")) << "not resliced: left out";
  EXPECT_FALSE(frame["jobs"][2].contains("error"));
  EXPECT_EQ(frame["workers"][1], (json{{"group", "w-host2-77"},
                                       {"host", "host2"},
                                       {"ranks", 1},
                                       {"units_leased", 0},
                                       {"last_seen", 0.0}}))
      << "an idle group has no job";
}

TEST(ProtoRoundTrip, SnapshotRowsNeedOnlyTheirNames) {
  // As PROTOCOL.md allows (and scripted stand-ins for the master send).
  const proto::Snapshot snapshot = proto::parse_snapshot(
      R"({"type":"snapshot","seq":1,"time":1.0,"epoch":"e","jobs":[{"job":"j1","state":"queued",
          "later":"field"}],"workers":[{"group":"g","job":null}]})");
  EXPECT_EQ(snapshot.jobs, std::vector<proto::JobRow>{(proto::JobRow{"j1", "queued"})});
  EXPECT_EQ(snapshot.workers, std::vector<proto::WorkerRow>{proto::WorkerRow{"g"}});
}

std::vector<proto::StatusEvent> sample_events() {
  proto::JobProgress resliced{"j1", 0, 256, 0.0};
  resliced.reslice_done = 3;
  resliced.reslice_units = 8;
  return {proto::JobQueued{"j1", "/i.h5", "/o.h5", "tomo_fbp", -3, 256},
          proto::JobQueued{"j2", "/i.h5", "/o2.h5", "tomo_fbp", 0, 256, "scan watcher"},
          proto::JobStarted{"j1", "w-h-1"},
          proto::JobProgress{"j1", 96, 256, 12.5, 12.8},
          proto::JobProgress{"j1", 0, 256, 0.0},
          resliced,
          proto::JobRequeued{"j1", "w-h-1", "lost"},
          proto::JobCompleted{"j1", "/o.h5", 31.5},
          proto::JobFailed{"j1", "library failed"},
          proto::JobCancelled{"j1"},
          proto::WorkerJoined{"w-h-1", "h", 4},
          proto::WorkerLost{"w-h-1", "silent for 3 s"},
          proto::MasterStarted{"0.1.0", 2},
          proto::MasterHeartbeat{1, 1, 2},
          proto::OtherEvent{"job.teleported", {{"job", "j1"}, {"to", "mars"}}}};
}

TEST(ProtoRoundTrip, Events) {
  for (const proto::StatusEvent& sent : sample_events()) {
    const std::string topic(proto::topic_of(sent));
    const proto::Event event =
        proto::parse_event(topic, proto::encode_event(sent, 7, 1795755600.5, "m-1"));
    EXPECT_EQ(event.body, sent) << topic;
    EXPECT_EQ(event.topic(), topic);
    EXPECT_EQ(event.seq, 7u);
    EXPECT_DOUBLE_EQ(event.time, 1795755600.5);
    EXPECT_EQ(event.epoch, "m-1");
  }
}

TEST(ProtoRoundTrip, EventsKeepTheirWireFields) {
  const auto fields = [](const proto::StatusEvent& event) {
    return json::parse(proto::encode_event(event, 7, 1.5, "m-1"));
  };
  EXPECT_EQ(fields(proto::JobProgress{"j000001", 96, 256, 0.0}), (json{{"job", "j000001"},
                                                                       {"done", 96},
                                                                       {"total", 256},
                                                                       {"rate", 0.0},
                                                                       {"eta", nullptr},
                                                                       {"seq", 7},
                                                                       {"time", 1.5},
                                                                       {"epoch", "m-1"}}));
  EXPECT_EQ(proto::event_fields(proto::JobQueued{"j1", "/i", "/o", "p", 0, 8}),
            (json{{"job", "j1"},
                  {"input", "/i"},
                  {"output", "/o"},
                  {"plugin", "p"},
                  {"priority", 0},
                  {"total", 8}}))
      << "no submitted_by when unknown";
  EXPECT_EQ(proto::job_of(proto::JobCancelled{"j9"}), "j9");
  EXPECT_EQ(proto::job_of(proto::WorkerLost{"g", "r"}), "");
  // Free text is cut, so that the peer can always read it.
  const std::string long_error(2 * proto::kMaxStringBytes, 'e');
  const auto failed = std::get<proto::JobFailed>(
      proto::parse_event("job.failed",
                         proto::encode_event(proto::JobFailed{"j1", long_error}, 1, 1.0, "m"))
          .body);
  EXPECT_LE(failed.error.size(), proto::kMaxStringBytes);
}

TEST(ProtoRoundTrip, EventsToleratesFieldsAndTopicsAddedLater) {
  const proto::Event later = proto::parse_event(
      "job.started", R"({"seq":1,"time":1.0,"epoch":"e","job":"j","group":"g","node":"n7"})");
  EXPECT_EQ(later.body, proto::StatusEvent(proto::JobStarted{"j", "g"}));
  const proto::Event unknown =
      proto::parse_event("job.paused", R"({"seq":2,"time":1.0,"epoch":"e","job":"j"})");
  EXPECT_EQ(unknown.body, proto::StatusEvent(proto::OtherEvent{"job.paused", {{"job", "j"}}}));
  EXPECT_EQ(unknown.topic(), "job.paused");
}

TEST(ProtoRoundTrip, WorkerMessages) {
  const auto round = [](const proto::WorkerMessage& m) {
    return proto::parse_worker_message(proto::encode(m));
  };
  const auto& ready = holds<proto::Ready>(round(proto::Ready{"w-host1-1", "host1", 4, 8}));
  EXPECT_EQ(ready.group, "w-host1-1");
  EXPECT_EQ(ready.host, "host1");
  EXPECT_EQ(ready.ranks, 4);
  EXPECT_EQ(ready.credit, 8);
  EXPECT_EQ(ready.instance, "") << "not said: an older worker";
  proto::Ready with_instance{"g", "h", 1, 1};
  with_instance.instance = "h-1-00ff";
  const proto::Ready again = holds<proto::Ready>(round(with_instance));
  EXPECT_EQ(again.instance, "h-1-00ff");
  EXPECT_FALSE(holds<proto::Heartbeat>(round(proto::Heartbeat{})).probe);
  EXPECT_EQ(holds<proto::Heartbeat>(round(proto::Heartbeat{12})).probe, 12);
  holds<proto::Disconnect>(round(proto::Disconnect{}));
  const auto& done = holds<proto::UnitsDone>(round(proto::UnitsDone{"j1", 3, {0, 5, 9}}));
  EXPECT_EQ(done.job, "j1");
  EXPECT_EQ(done.lease, 3);
  EXPECT_EQ(done.units, (std::vector<int64_t>{0, 5, 9}));
  const auto& failed =
      holds<proto::UnitsFailed>(round(proto::UnitsFailed{"j1", 3, {2}, "library failed"}));
  EXPECT_EQ(failed.units, std::vector<int64_t>{2});
  EXPECT_EQ(failed.error, "library failed");
  EXPECT_TRUE(
      holds<proto::UnitsFailed>(round(proto::UnitsFailed{"j1", 3, {}, "open"})).units.empty());
  const auto& finished = holds<proto::JobFinished>(round(proto::JobFinished{"j1", 3}));
  EXPECT_EQ(finished.lease, 3);
}

TEST(ProtoRoundTrip, MasterMessages) {
  const auto round = [](const proto::MasterMessage& m) {
    return proto::parse_master_message(proto::encode(m));
  };
  const std::vector<proto::UnitRange> units{{0, 0, 16}, {1, 16, 16}, {7, 112, 4}};
  const auto& assign =
      holds<proto::Assign>(round(proto::Assign{"j1", 9, sample_job(), 16, true, units}));
  EXPECT_EQ(assign.job, "j1");
  EXPECT_EQ(assign.lease, 9);
  EXPECT_EQ(assign.request.input, "/data/scan.nxs");
  EXPECT_EQ(assign.request.params, sample_job().params);
  EXPECT_EQ(assign.unit_slices, 16);
  EXPECT_TRUE(assign.resume);
  EXPECT_EQ(assign.units, units);
  EXPECT_EQ(assign.group_timeout_ms, 0) << "not said";
  proto::Assign timed{"j1", 9, sample_job(), 16, false, units};
  timed.group_timeout_ms = 3000;
  EXPECT_EQ(holds<proto::Assign>(round(timed)).group_timeout_ms, 3000);
  EXPECT_EQ(assign.reslice_frames, 0) << "no reslicing unless said";
  proto::Assign resliced{"j1", 9, sample_job(), 16, false, units};
  resliced.reslice_frames = 64;
  EXPECT_EQ(holds<proto::Assign>(round(resliced)).reslice_frames, 64);
  EXPECT_EQ(proto::encode(proto::MasterMessage(timed)).find("reslice_frames"), std::string::npos)
      << "old groups never see the field for jobs that are not resliced";
  EXPECT_EQ(holds<proto::MoreUnits>(round(proto::MoreUnits{"j1", 9, units})).units, units);
  EXPECT_EQ(holds<proto::Finish>(round(proto::Finish{"j1", 9})).job, "j1");
  const auto& release = holds<proto::Release>(round(proto::Release{"j1", 9, "cancelled"}));
  EXPECT_EQ(release.reason, "cancelled");
  EXPECT_FALSE(release.job_ended);
  EXPECT_TRUE(
      holds<proto::Release>(round(proto::Release{"j1", 9, "job cancelled", true})).job_ended);
  // A master from before `job_ended` existed leaves it out: the lease ended.
  EXPECT_FALSE(holds<proto::Release>(proto::parse_master_message(
                                         R"({"type":"release","job":"j","lease":1,"reason":"x"})"))
                   .job_ended);
  EXPECT_EQ(holds<proto::Heartbeat>(round(proto::Heartbeat{12})).probe, 12);
  holds<proto::Disconnect>(round(proto::Disconnect{}));
}

// ---------------------------------------------------------------- rejections

namespace {

struct BadFrame {
  const char* name;
  std::function<void(std::string_view)> parse;
  std::string frame;
  std::string expected; // the whole text, or a part of it when `partial`
  bool partial = false;
};

const auto client = [](std::string_view f) { proto::parse_client_request(f); };
const auto worker = [](std::string_view f) { proto::parse_worker_message(f); };
const auto master = [](std::string_view f) { proto::parse_master_message(f); };
const auto reply = [](std::string_view f) { proto::parse_accepted(f); };
const auto snapshot = [](std::string_view f) { proto::parse_snapshot(f); };
const auto event = [](std::string_view f) { proto::parse_event("job.progress", f); };

const std::string kSubmitHead = R"({"type":"submit","input":"/a.h5","plugin":"p",)";

std::string submit_with(const std::string& rest) {
  return kSubmitHead + rest + "}";
}

std::vector<BadFrame> bad_frames() {
  const std::string big_string(proto::kMaxStringBytes + 1, 'x');
  json many_params = json::object();
  for (size_t i = 0; i <= proto::kMaxParams; ++i) many_params[std::to_string(i)] = 1;
  json many_units = json::array();
  for (size_t i = 0; i <= proto::kMaxUnitsPerMessage; ++i) many_units.push_back(0);
  const std::string oversize(2100000, ' ');
  return {
      {"oversize", client, oversize, "message of 2100000 bytes exceeds the 1048576-byte limit"},
      {"empty", client, "", "empty message (expected a JSON object with a \"type\")"},
      {"blank", worker, " \n", "empty message (expected a JSON object with a \"type\")"},
      {"malformed", client, R"({"type":"status")",
       "message is not valid JSON: parse error at line 1, column 17", true},
      {"trailing", client, R"({"type":"status"} x)", "message is not valid JSON", true},
      {"single quotes", client, "{'type':'status'}", "message is not valid JSON", true},
      {"lone surrogate escape", client, R"({"type":"s\ud800"})", "message is not valid JSON", true},
      {"invalid utf-8", client, "{\"type\":\"st\xFF\"}",
       "invalid UTF-8 at byte 11 (messages are JSON text in UTF-8)"},
      {"overlong utf-8", client, "{\"type\":\"\xC0\xAF\"}", "invalid UTF-8 at byte 9", true},
      {"truncated utf-8", client, "{\"type\":\"\xE2\x82", "invalid UTF-8 at byte 9", true},
      {"utf-8 surrogate", client, "{\"type\":\"\xED\xA0\x80\"}", "invalid UTF-8 at byte 9", true},
      {"depth 9", client, R"({"a":[[[[[[[[1]]]]]]]]})", "nesting deeper than 8 levels"},
      {"depth bomb", worker, std::string(100000, '['), "nesting deeper than 8 levels"},
      {"brackets in strings do not count", client,
       R"({"type":"cancel","job":"[[[[[[[[[[[[[[[[","x":1})", "unknown field 'x' in cancel"},
      {"array", client, "[1,2]", "message must be a JSON object with a \"type\", got array"},
      {"number", client, "42", "message must be a JSON object with a \"type\", got number"},
      {"no type", client, R"({"job":"j1"})",
       "message has no \"type\" (expected submit, status or cancel)"},
      {"type not string", client, R"({"type":7})", "field 'type' must be a string, got number"},
      {"unknown type", client, R"({"type":"sumbit"})",
       "unknown message type 'sumbit' (expected submit, status or cancel)"},
      {"worker type at client", client, R"({"type":"ready"})",
       "unknown message type 'ready' (expected submit, status or cancel)"},
      {"unknown worker type", worker, R"({"type":"hello"})",
       "unknown message type 'hello' (expected ready, heartbeat, done, failed, finished or "
       "disconnect)"},
      {"unknown master type", master, R"({"type":"done","job":"j","lease":1,"units":[1]})",
       "unknown message type 'done' (expected assign, units, finish, release, heartbeat or "
       "disconnect)"},
      {"missing field", client, R"({"type":"submit","plugin":"p","output":"/o"})",
       "submit: missing field 'input'"},
      {"wrong type", client, R"({"type":"submit","input":5,"plugin":"p","output":"/o"})",
       "submit: field 'input' must be a string, got number"},
      {"empty string", client, submit_with(R"("output":"")"),
       "submit: field 'output' must not be empty"},
      {"unknown field with hint", client, R"({"type":"submit","inptu":"/a","plugin":"p"})",
       "unknown field 'inptu' in submit (did you mean 'input'?)"},
      {"unknown field", client, R"({"type":"status","verbose":true})",
       "unknown field 'verbose' in status"},
      {"huge string", client, submit_with(R"("output":")" + big_string + "\""),
       "submit: field 'output' is 4097 bytes long; the limit is 4096"},
      {"params not object", client, submit_with(R"("output":"/o","params":[1])"),
       "submit: field 'params' must be an object of KEY: value, got array"},
      {"params too many", client, submit_with(R"("output":"/o","params":)" + many_params.dump()),
       "submit: field 'params' has 257 entries; the limit is 256"},
      {"params nested", client, submit_with(R"("output":"/o","params":{"a":{"b":1}})"),
       "submit: 'params.a' must be a string, number or boolean, got object"},
      {"params null", client, submit_with(R"("output":"/o","params":{"a":null})"),
       "submit: 'params.a' must be a string, number or boolean, got null"},
      {"params huge value", client,
       submit_with(R"("output":"/o","params":{"a":")" + big_string + "\"}"),
       "submit: field 'params.a' is 4097 bytes long; the limit is 4096"},
      {"params infinite", client, submit_with(R"("output":"/o","params":{"a":1e999})"),
       "message is not valid JSON: number overflow parsing '1e999'"},
      {"priority range", client, submit_with(R"("output":"/o","priority":5000)"),
       "submit: field 'priority' must be a whole number from -1000 to 1000, got 5000"},
      {"priority fraction", client, submit_with(R"("output":"/o","priority":1.5)"),
       "submit: field 'priority' must be a whole number from -1000 to 1000, got 1.5"},
      {"priority string", client, submit_with(R"("output":"/o","priority":"high")"),
       "submit: field 'priority' must be a whole number from -1000 to 1000, got string"},
      {"client_ref empty", client, submit_with(R"("output":"/o","client_ref":"")"),
       "submit: field 'client_ref' must not be empty"},
      {"cancel without job", client, R"({"type":"cancel"})", "cancel: missing field 'job'"},
      {"ready old protocol", worker,
       R"({"type":"ready","protocol":2,"group":"g","host":"h","ranks":1,"credit":1,"new":1})",
       "ready: protocol version 2 is not supported", true},
      {"ready with an empty instance", worker,
       R"({"type":"ready","protocol":1,"group":"g","host":"h","ranks":1,"credit":1,"instance":""})",
       "ready: field 'instance' must not be empty"},
      {"ready ranks zero", worker,
       R"({"type":"ready","protocol":1,"group":"g","host":"h","ranks":0,"credit":1})",
       "ready: field 'ranks' must be a whole number from 1 to 1048576, got 0"},
      {"ready credit huge", worker,
       R"({"type":"ready","protocol":1,"group":"g","host":"h","ranks":1,"credit":1e9})",
       "ready: field 'credit' must be a whole number from 1 to 100000, got 1000000000.0"},
      {"heartbeat with fields", worker, R"({"type":"heartbeat","at":1})",
       "unknown field 'at' in heartbeat"},
      {"negative lease", worker, R"({"type":"done","job":"j","lease":-1,"units":[1]})",
       "done: field 'lease' must be a whole number of at least 0, got -1"},
      {"lease beyond int64", worker,
       R"({"type":"finished","job":"j","lease":18446744073709551615})",
       "finished: field 'lease' must be a whole number of at least 0, got 18446744073709551615"},
      {"negative unit", worker, R"({"type":"done","job":"j","lease":1,"units":[0,-4]})",
       "done: field 'units[1]' must be a whole number of at least 0, got -4"},
      {"no units done", worker, R"({"type":"done","job":"j","lease":1,"units":[]})",
       "done: field 'units' must have at least 1 element"},
      {"units not array", worker, R"({"type":"done","job":"j","lease":1,"units":3})",
       "done: field 'units' must be an array, got number"},
      {"too many units", worker,
       R"({"type":"done","job":"j","lease":1,"units":)" + many_units.dump() + "}",
       "done: field 'units' has 100001 elements; the limit is 100000"},
      {"failed without error", worker, R"({"type":"failed","job":"j","lease":1,"units":[]})",
       "failed: missing field 'error'"},
      {"range count zero", master,
       R"({"type":"units","job":"j","lease":1,"units":[{"unit":0,"first":0,"count":0}]})",
       "units: units[0]: field 'count' must be a whole number of at least 1, got 0"},
      {"range unknown field", master,
       R"({"type":"units","job":"j","lease":1,"units":[{"unit":0,"first":0,"count":1,"last":1}]})",
       "unknown field 'last' in units: units[0]"},
      {"range not object", master, R"({"type":"units","job":"j","lease":1,"units":[5]})",
       "units: units[0] must be a JSON object, got number"},
      {"assign resume not bool", master,
       R"({"type":"assign","job":"j","lease":1,"input":"/i","output":"/o","plugin":"p",
           "params":{},"unit_slices":4,"resume":"no","units":[]})",
       "assign: field 'resume' must be true or false, got string"},
      {"assign reslice_frames zero", master,
       R"({"type":"assign","job":"j","lease":1,"input":"/i","output":"/o","plugin":"p",
           "params":{},"unit_slices":4,"reslice_frames":0,"resume":false,"units":[]})",
       "assign: field 'reslice_frames' must be a whole number of at least 1, got 0"},
      {"release reason type", master, R"({"type":"release","job":"j","lease":1,"reason":null})",
       "release: field 'reason' must be a string, got null"},
      {"release job_ended type", master,
       R"({"type":"release","job":"j","lease":1,"reason":"x","job_ended":1})",
       "release: field 'job_ended' must be true or false, got number"},
      {"malformed accepted", reply, R"({"type":"accepted"})", "accepted: missing field 'job'"},
      {"snapshot rejected", snapshot, R"({"type":"rejected","error":"busy"})", "busy"},
      {"snapshot bad job row", snapshot,
       R"({"type":"snapshot","seq":1,"time":1.0,"epoch":"e","jobs":[{"state":"queued"}],
           "workers":[]})",
       "snapshot: jobs[0]: missing field 'job'"},
      {"event without seq", event, R"({"time":1.0,"epoch":"e","job":"j"})",
       "event 'job.progress': missing field 'seq'"},
      {"event without a known field", event,
       R"({"seq":1,"time":1.0,"epoch":"e","job":"j","done":1,"total":2,"eta":null})",
       "event 'job.progress': missing field 'rate'"},
      {"event with a mistyped field", event,
       R"({"seq":1,"time":1.0,"epoch":"e","job":"j","done":"1","total":2,"rate":0,"eta":null})",
       "event 'job.progress': field 'done' must be a whole number of at least 0, got string"},
      {"snapshot bad worker row", snapshot,
       R"({"type":"snapshot","seq":1,"time":1.0,"epoch":"e","jobs":[],
           "workers":[{"group":"g","job":5}]})",
       "snapshot: workers[0]: field 'job' must be a string, got number"},
      // Found by tests/e2e/service_attack_test.py: "\u0000" cut paths and
      // names at the C boundary (HDF5, dlopen), after the master's checks.
      {"NUL in a path", client,
       R"({"type":"submit","input":"/a.h5\u0000.txt","plugin":"p","output":"/o.h5"})",
       "submit: field 'input' contains a NUL character (\\u0000)"},
      {"NUL in a parameter value", client,
       submit_with(R"("output":"/o.h5","params":{"a":"1\u0000"})"),
       "submit: field 'params.a' contains a NUL character (\\u0000)"},
      {"NUL in a parameter key", client, submit_with(R"("output":"/o.h5","params":{"a\u0000":1})"),
       "submit: a key of 'params' contains a NUL character (\\u0000)"},
      // Also found there: nlohmann's lexer ends the input at a raw NUL, so
      // whatever followed it was accepted unread.
      {"raw NUL after the object", client, std::string(R"({"type":"status"})") + '\0' + "junk",
       "NUL byte at byte 17 (JSON text has none; inside strings it is written \\u0000)"},
      {"dry run with a client_ref", client,
       submit_with(R"("output":"/o.h5","dry_run":true,"client_ref":"r1")"),
       "submit: has both 'dry_run' and 'client_ref'; a dry run starts no job, so there is "
       "nothing for a client_ref to name: leave it out"},
      {"dry run not a boolean", client, submit_with(R"("output":"/o.h5","dry_run":"yes")"),
       "submit: field 'dry_run' must be true or false, got string"},
      {"a plan without steps", [](std::string_view f) { proto::parse_planned(f); },
       R"({"type":"planned","steps":[],"reslice_step":0,"reslice_units":0,"reslice_frames":0,)"
       R"("units":1,"slices_per_unit":1,"total_slices":1,"memory_per_rank_bytes":1,"summary":[]})",
       "planned: field 'steps' must have at least 1 element"},
      {"NUL in a group name", worker,
       R"({"type":"ready","protocol":1,"group":"g\u0000","host":"h","ranks":1,"credit":1})",
       "ready: field 'group' contains a NUL character (\\u0000)"},
  };
}

} // namespace

TEST(ProtoRejects, EveryBadFrameWithItsReason) {
  const auto frames = bad_frames();
  EXPECT_GE(frames.size(), 30u);
  for (const BadFrame& bad : frames) {
    SCOPED_TRACE(bad.name);
    try {
      bad.parse(bad.frame);
      ADD_FAILURE() << "accepted: " << bad.frame.substr(0, 200);
    } catch (const proto::ProtocolError& e) {
      if (bad.partial)
        EXPECT_NE(std::string(e.what()).find(bad.expected), std::string::npos) << e.what();
      else
        EXPECT_EQ(std::string(e.what()), bad.expected);
    }
  }
}

TEST(ProtoRejects, SocketLimitIsAboveTheMessageLimit) {
  EXPECT_GT(proto::kSocketMaxMessageBytes, static_cast<int64_t>(proto::kMaxMessageBytes));
  // A snapshot may be larger than a request: it lists up to keep_finished_jobs jobs.
  proto::Snapshot big;
  big.epoch = "e";
  for (int i = 0; i < 3000; ++i)
    big.jobs.push_back({std::to_string(i), "completed", "/i.h5", std::string(400, 'o')});
  const std::string frame = proto::encode(big);
  ASSERT_GT(frame.size(), proto::kMaxMessageBytes);
  EXPECT_EQ(proto::parse_snapshot(frame).jobs.size(), 3000u);
}

TEST(ProtoRejects, ValidUtf8IsAccepted) {
  const auto& s = holds<proto::SubmitRequest>(proto::parse_client_request(
      "{\"type\":\"submit\",\"input\":\"/donn\xC3\xA9"
      "es/\xE6\xB8\xAC\xE5\xAE\x9A\xF0\x9F\x94\xAC.h5\",\"plugin\":\"p\",\"output\":\"/o\"}"));
  EXPECT_EQ(s.job.input, "/donn\xC3\xA9"
                         "es/\xE6\xB8\xAC\xE5\xAE\x9A\xF0\x9F\x94\xAC.h5");
}

TEST(ProtoRejects, DepthEightIsAllowed) {
  EXPECT_NO_THROW(proto::parse_frame(R"({"a":[[[[[[[1]]]]]]]})"));
}
