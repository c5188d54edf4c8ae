#include "master/master_server.hpp"

#include "common/pipeline/output_target.hpp"
#include "common/util/error.hpp"
#include "common/util/version.hpp"
#include "master/sockets.hpp"
#include "master/submit_check.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace h5io::master {

namespace {

// Messages taken from one socket per turn: enough to batch journal writes
// under load, few enough that no socket starves the others.
constexpr int kBatch = 4096;
// Client requests taken per turn stop once the turn has taken this long: a
// burst of submits (each forks a check) must not delay the groups' messages
// and heartbeats; the rest wait in the socket for the next turns.
constexpr auto kClientBudget = std::chrono::milliseconds(10);

void limit_listener(zmq::socket_t& socket) {
  socket.set(zmq::sockopt::maxmsgsize, proto::kSocketMaxMessageBytes);
  socket.set(zmq::sockopt::linger, 1000);
  socket.set(zmq::sockopt::sndhwm, 100000);
  socket.set(zmq::sockopt::rcvhwm, 100000);
}

// One whole message (all its frames) if one is waiting, else nothing.
std::vector<zmq::message_t> receive_waiting(zmq::socket_t& socket) {
  std::vector<zmq::message_t> frames;
  do {
    zmq::message_t frame;
    if (!socket.recv(frame, zmq::recv_flags::dontwait)) break;
    frames.push_back(std::move(frame));
  } while (frames.back().more());
  return frames;
}

// Without CURVE, an endpoint off the loopback interface lets anyone who can
// reach it in: say so once at start.
void warn_if_exposed(const std::string& endpoint, const char* role, const char* what) {
  if (!endpoint.starts_with("tcp://")) return; // ipc: file permissions; inproc: this process
  const std::string host = endpoint.substr(6, endpoint.rfind(':') - 6);
  if (host.starts_with("127.") || host == "localhost" || host == "[::1]" || host == "::1") return;
  spdlog::warn("the {} endpoint {} is not on the loopback interface and the configuration has no "
               "\"curve\" block: anyone who can reach it can {} (deploy/README.md, Keys)",
               role, endpoint, what);
}

std::string quoted_roots(const std::vector<fs::path>& roots) {
  std::string text;
  for (const fs::path& root : roots) text += (text.empty() ? "" : ", ") + root.string();
  return text;
}

} // namespace

MasterServer::MasterServer(MasterConfig config)
    : config_(std::move(config)), context_(1), client_(context_, zmq::socket_type::router),
      worker_(context_, zmq::socket_type::router), scheduler_(config_.scheduler),
      checks_(config_.max_pending_checks) {
  // Keys first: a bad key file stops the start before a long journal replay.
  std::function<void(zmq::socket_t&)> secure_status;
  if (config_.curve) {
    // Before any socket below binds: libzmq lets every CURVE peer in while
    // no ZAP handler is there.
    curve_.emplace(context_, *config_.curve);
    curve_->secure(client_, zap_domain::clients, "client");
    curve_->secure(worker_, zap_domain::workers, "worker");
    secure_status = [this](zmq::socket_t& socket) {
      curve_->secure(socket, zap_domain::status, "status");
    };
  } else {
    warn_if_exposed(config_.client_endpoint, "client", "submit and cancel jobs");
    warn_if_exposed(config_.status_endpoint, "status", "follow every job");
    warn_if_exposed(config_.worker_endpoint, "worker", "join as a worker group and be handed jobs");
  }
  const auto replay_start = std::chrono::steady_clock::now();
  journal_.emplace(config_.journal_dir,
                   [this](const nlohmann::json& record) { scheduler_.replay(record); });
  const int resumed = scheduler_.resume_after_replay();
  // Reading the records and rebuilding the job table: the whole restart cost.
  const double replay_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - replay_start).count();
  const size_t replayed = journal_->records();
  // Before compaction, so that expired refs leave the journal too.
  if (const size_t expired = scheduler_.expire_client_refs(unix_now()))
    spdlog::info("journal: {} client_ref{} older than client_ref_days ({}) forgotten", expired,
                 expired == 1 ? "" : "s", config_.scheduler.client_ref_horizon_s / 86400);
  compact_journal();
  scheduler_.hold_resumed_jobs(Clock::now() +
                               config_.scheduler.heartbeat * config_.scheduler.heartbeat_liveness);
  journal_->append({{"rec", "start"}, {"time", unix_now()}, {"version", std::string(version())}});
  journal_->commit();
  spdlog::info("journal {}: {} records replayed in {:.3f} s; {} unfinished job{} resumed",
               journal_->path().string(), replayed, replay_seconds, resumed,
               resumed == 1 ? "" : "s");
  if (config_.input_roots.empty())
    spdlog::warn("no input_roots configured: jobs may read any file this user can read");
  else
    spdlog::info("inputs allowed under: {}", quoted_roots(config_.input_roots));
  if (config_.output_roots.empty())
    spdlog::warn("no output_roots configured: jobs may write anywhere this user can write");
  else
    spdlog::info("outputs allowed under: {}", quoted_roots(config_.output_roots));

  limit_listener(client_);
  limit_listener(worker_);
  bind_endpoint(client_, config_.client_endpoint, "client");
  bind_endpoint(worker_, config_.worker_endpoint, "worker");
  status_.emplace(context_, config_.status_endpoint, secure_status);
  if (!config_.watch.empty()) watcher_.emplace(config_.watch, config_.rescan);
  if (!config_.metrics_address.empty()) {
    metrics_.emplace(config_.metrics_address, std::string(version()));
    publish_metrics(Clock::now());
    spdlog::info("metrics for Prometheus on http://{}/metrics", config_.metrics_address);
  }
  spdlog::info("h5io-master {} ready: clients {}, status {}, workers {} (epoch {}{})", version(),
               config_.client_endpoint, config_.status_endpoint, config_.worker_endpoint,
               status_->epoch(), config_.curve ? ", CURVE" : "");
  status_->publish(proto::MasterStarted{std::string(version()), resumed});
}

std::optional<std::string> MasterServer::submit(const proto::SubmitRequest& request,
                                                const std::string& submitter,
                                                std::vector<zmq::message_t>* waiting) {
  if (request.client_ref) {
    if (const auto job = scheduler_.job_for_client_ref(*request.client_ref)) {
      spdlog::info("[{}] submitted again with client_ref '{}': same job", *job,
                   *request.client_ref);
      return *job;
    }
    // Submitted again while its first submission is being checked: one
    // check, one job, and both are answered when it ends.
    if (const auto it = checking_refs_.find(*request.client_ref); it != checking_refs_.end()) {
      if (waiting != nullptr) submits_.at(it->second).waiting.push_back(std::move(*waiting));
      return std::string();
    }
  }
  if (checks_.full())
    throw Error(fmt::format("busy, retry: {} submissions are being checked, the most this master "
                            "checks at once (max_pending_checks); submit again in a few seconds "
                            "(with the same client_ref, if any)",
                            checks_.size()));
  PendingSubmit pending;
  pending.checked = check_paths(request, config_);
  if (const Job* writer = scheduler_.writer_of(pending.checked.request.job.output))
    throw Error(fmt::format("output '{}' is already being written by job {} ({})",
                            pending.checked.request.job.output, writer->id,
                            state_name(writer->state)));
  // The library's own code runs in a child, so that a crash, a hang or a
  // slow h5io_init costs this submission only, and the loop goes on.
  const uint64_t id = checks_.start(
      plan_check(pending.checked, config_), config_.check_timeout,
      request.job.steps.empty() ? fmt::format("library '{}'", request.job.plugin)
                                : fmt::format("pipeline '{}'", proto::job_title(request.job)));
  pending.submitter = submitter;
  if (waiting != nullptr) pending.waiting.push_back(std::move(*waiting));
  if (request.client_ref) checking_refs_[*request.client_ref] = id;
  submits_.emplace(id, std::move(pending));
  return std::nullopt;
}

void MasterServer::finish_checks(Outbox& out, std::vector<Reply>& replies) {
  for (PendingChecks::Ended& ended : checks_.collect(Clock::now())) {
    const auto it = submits_.find(ended.id);
    if (it == submits_.end()) continue;
    PendingSubmit pending = std::move(it->second);
    submits_.erase(it);
    check_times_.record(ended.took);
    const proto::SubmitRequest& request = pending.checked.request;
    if (request.client_ref) checking_refs_.erase(*request.client_ref);
    const bool watcher = pending.submitter == "scan watcher";
    std::string body;
    try {
      if (!ended.answer) throw Error(ended.error);
      apply_plan(pending.checked, *ended.answer);
      // Accepted in the order the checks end: the job gets its id now.
      if (const Job* writer = scheduler_.writer_of(request.job.output))
        throw Error(fmt::format("output '{}' is already being written by job {} ({})",
                                request.job.output, writer->id, state_name(writer->state)));
      if (request.dry_run) { // checked and planned; nothing is accepted or journalled
        spdlog::info("dry run of {} on {}: {}", proto::job_title(request.job), request.job.input,
                     pending.checked.plan.summary.empty() ? ""
                                                          : pending.checked.plan.summary.back());
        body = proto::encode_planned(pending.checked.plan);
      } else {
        const std::string job =
            scheduler_.accept(request, pending.checked.unit_slices, pending.checked.units,
                              unix_now(), out, pending.submitter, pending.checked.reslice);
        if (watcher)
          spdlog::info("[{}] watcher: scan {} finished; submitted", job, request.job.input);
        body = proto::encode_accepted(job);
      }
    } catch (const std::exception& e) {
      if (watcher)
        spdlog::error("watcher: scan {} not submitted: {}", request.job.input, e.what());
      else
        spdlog::warn("submit rejected: {}", e.what());
      body = proto::encode_rejected(e.what());
    }
    for (std::vector<zmq::message_t>& envelope : pending.waiting)
      replies.push_back(Reply{std::move(envelope), body});
  }
}

MasterServer::Answer MasterServer::handle_client(zmq::message_t& frame, Reply& reply, Outbox& out) {
  try {
    const proto::ClientRequest request = proto::parse_client_request(frame.to_string_view());
    if (const auto* submit_request = std::get_if<proto::SubmitRequest>(&request)) {
      const std::optional<std::string> job =
          submit(*submit_request, submitter_of(frame), &reply.envelope);
      if (!job || job->empty()) return Answer::later;
      reply.body = proto::encode_accepted(*job);
    } else if (const auto* cancel = std::get_if<proto::CancelRequest>(&request)) {
      const std::string refused = scheduler_.cancel(cancel->job, unix_now(), out);
      reply.body =
          refused.empty() ? proto::encode_accepted(cancel->job) : proto::encode_rejected(refused);
    } else {
      return Answer::snapshot;
    }
  } catch (const proto::ProtocolError& e) {
    spdlog::warn("client request rejected: {}", e.what());
    reply.body = proto::encode_rejected(e.what());
  } catch (const Error& e) {
    spdlog::warn("submit rejected: {}", e.what());
    reply.body = proto::encode_rejected(e.what());
  } catch (const std::exception& e) {
    // Whatever a request does, the master stays up.
    spdlog::error("client request failed unexpectedly: {}", e.what());
    reply.body = proto::encode_rejected(fmt::format("internal error: {}", e.what()));
  }
  return Answer::now;
}

void MasterServer::receive_clients(Outbox& out, std::vector<Reply>& replies,
                                   std::vector<Reply>& snapshots) {
  const auto until = Clock::now() + kClientBudget;
  for (int i = 0; i < kBatch && Clock::now() < until; ++i) {
    std::vector<zmq::message_t> frames = receive_waiting(client_);
    if (frames.empty()) return;
    if (!admitted(frames.back(), zap_domain::clients, "client")) continue;
    // ROUTER: [peer id, envelope (REQ's empty frame)..., body]. The envelope
    // goes back unchanged so REQ and DEALER clients both get their reply.
    Reply reply;
    for (size_t f = 0; f + 1 < frames.size(); ++f) reply.envelope.push_back(std::move(frames[f]));
    if (reply.envelope.size() > 2) {
      reply.body = proto::encode_rejected("expected one JSON frame per message (after REQ's "
                                          "empty delimiter); got several");
      reply.envelope.resize(2);
      replies.push_back(std::move(reply));
      continue;
    }
    switch (handle_client(frames.back(), reply, out)) {
    case Answer::now: replies.push_back(std::move(reply)); break;
    case Answer::snapshot: snapshots.push_back(std::move(reply)); break;
    case Answer::later: break; // the envelope waits with the check
    }
  }
}

void MasterServer::receive_workers(Outbox& out) {
  const auto now = Clock::now();
  const double wall = unix_now();
  for (int i = 0; i < kBatch; ++i) {
    std::vector<zmq::message_t> frames = receive_waiting(worker_);
    if (frames.empty()) return;
    const std::string peer = frames.front().to_string();
    if (!admitted(frames.back(), zap_domain::workers, "worker")) continue;
    if (frames.size() != 2) {
      spdlog::warn("worker endpoint: dropped a message of {} frames (expected one JSON frame)",
                   frames.size() - 1);
      continue;
    }
    try {
      scheduler_.on_worker(peer, proto::parse_worker_message(frames.back().to_string_view()), now,
                           wall, out);
    } catch (const proto::ProtocolError& e) {
      spdlog::warn("worker endpoint: dropped a bad message: {}", e.what());
    }
  }
}

std::string MasterServer::submitter_of(zmq::message_t& frame) const {
  return curve_ ? curve_->client_name(frame) : connection_property(frame, "Peer-Address");
}

bool MasterServer::admitted(zmq::message_t& frame, const char* domain, const char* endpoint_name) {
  return !curve_ || curve_->still_authorised(frame, domain, endpoint_name);
}

void MasterServer::watcher_submissions(bool notified) {
  const auto now = Clock::now();
  std::vector<FinishedScan> scans;
  if (notified) scans = watcher_->on_events(now);
  if (now >= watcher_->next_check())
    for (FinishedScan& scan : watcher_->check(now)) scans.push_back(std::move(scan));
  for (const FinishedScan& scan : scans) {
    proto::SubmitRequest request;
    request.job.input = scan.path.string();
    request.job.plugin = scan.rule->plugin;
    request.job.steps = scan.rule->steps;
    request.job.params = scan.rule->params;
    request.job.output =
        (scan.rule->output_dir / (scan.path.stem().string() + scan.rule->output_suffix)).string();
    request.client_ref = "watch:" + scan.path.string();
    request.priority = scan.rule->priority;
    // A scan processed so long ago that its client_ref has expired
    // (client_ref_days) still has its output: the service never replaces a
    // file, so it is not submitted again.
    std::error_code ec;
    if (!scheduler_.job_for_client_ref(*request.client_ref) && fs::exists(request.job.output, ec)) {
      spdlog::info("watcher: scan {} not submitted: its output {} exists (processed before)",
                   request.job.input, request.job.output);
      continue;
    }
    watcher_backlog_.push_back(std::move(request));
  }
  // A scan is reported once: one that finds every check slot taken waits
  // here for a free one rather than being refused. A long backlog (the
  // first rescan of a directory of thousands of old scans) is worked
  // through over several turns.
  const auto until = Clock::now() + kClientBudget;
  while (!watcher_backlog_.empty() && !checks_.full() && Clock::now() < until) {
    const proto::SubmitRequest request = std::move(watcher_backlog_.front());
    watcher_backlog_.pop_front();
    try {
      if (const auto job = submit(request, "scan watcher", nullptr); job && !job->empty())
        spdlog::info("[{}] watcher: scan {} was submitted before (client_ref '{}')", *job,
                     request.job.input, *request.client_ref);
    } catch (const std::exception& e) {
      spdlog::error("watcher: scan {} not submitted: {}", request.job.input, e.what());
    }
  }
}

void MasterServer::send_replies(std::vector<Reply>& replies) {
  for (Reply& reply : replies) {
    for (zmq::message_t& frame : reply.envelope) client_.send(frame, zmq::send_flags::sndmore);
    client_.send(zmq::buffer(reply.body), zmq::send_flags::dontwait);
  }
  replies.clear();
}

void MasterServer::send_outbox(Outbox& out, std::vector<Reply>& replies) {
  // Durable first: nothing that depends on a record leaves before it.
  for (nlohmann::json& record : out.journal) journal_->append(std::move(record));
  journal_->commit();
  send_replies(replies);
  for (auto& [group, message] : out.to_workers) {
    const std::string body = proto::encode(message);
    worker_.send(zmq::buffer(group), zmq::send_flags::sndmore);
    worker_.send(zmq::buffer(body), zmq::send_flags::dontwait);
  }
  for (const proto::StatusEvent& event : out.events) status_->publish(event);
  for (const std::string& output : out.discard) {
    std::error_code ec;
    fs::remove(OutputTarget::partial_path_for(output), ec);
    fs::remove(OutputTarget::scratch_path_for(output), ec);
  }
  out = Outbox{};
}

void MasterServer::publish_metrics(Clock::time_point now) {
  // A quarter of a second old at most: Prometheus scrapes every few seconds.
  next_metrics_ = now + std::chrono::milliseconds(250);
  MetricsSnapshot snapshot;
  snapshot.jobs = scheduler_.jobs_by_state();
  snapshot.counters = scheduler_.counters();
  snapshot.worker_groups = scheduler_.groups();
  snapshot.worker_ranks = scheduler_.ranks();
  snapshot.checks_pending = checks_.size();
  snapshot.journal_records = journal_->records();
  snapshot.status_seq = status_->seq();
  snapshot.loop_turns = turns_;
  snapshot.submit_checks = check_times_;
  metrics_->publish(std::move(snapshot));
}

void MasterServer::reload_keys() {
  if (!curve_) {
    spdlog::info("SIGHUP: no \"curve\" block in the configuration, so no keys to reload (the "
                 "configuration file is read only at start)");
    return;
  }
  if (curve_->reloading())
    reload_again_ = true; // the keys may have changed since that reading began
  else
    curve_->start_reload();
}

void MasterServer::finish_key_reload() {
  const std::optional<bool> clients_removed = curve_->finish_reload();
  if (!clients_removed) return;
  if (reload_again_) {
    reload_again_ = false;
    curve_->start_reload();
  }
  if (!*clients_removed) return;
  // Client keys were removed. A PUB socket has no per-message check: every
  // subscriber is cut off and must pass ZAP again, which a removed key cannot.
  try {
    status_->drop_subscribers();
    spdlog::info("CURVE: status subscribers were disconnected so that each is checked against "
                 "the new keys; authorised ones reconnect by themselves");
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
  }
}

std::string MasterServer::status_line() const {
  return fmt::format("{} jobs queued, {} running; {} worker groups; {} submissions being checked",
                     scheduler_.jobs_in(JobState::queued), scheduler_.jobs_in(JobState::running),
                     scheduler_.groups(), checks_.size());
}

void MasterServer::compact_journal() {
  // Jobs the table has forgotten (keep_finished_jobs) still fill the
  // journal; a service that runs for years would replay them all at every
  // start. When they are most of it, the journal is rewritten from the
  // table: what replay rebuilt, nothing else.
  const size_t before = journal_->records();
  std::vector<nlohmann::json> records = scheduler_.journal_records();
  if (before <= 2 * records.size() + 100) return;
  const auto start = std::chrono::steady_clock::now();
  journal_->rewrite(records);
  spdlog::info("journal compacted from {} to {} records in {:.3f} s (jobs no longer listed keep "
               "only their client_ref)",
               before, records.size(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void MasterServer::run(const std::atomic<bool>& stop, const std::function<void()>& each_turn) {
  std::vector<Reply> replies, snapshots;
  // A turn is the time from poll returning to the next poll: while it lasts
  // nothing is answered.
  Clock::time_point turn_start = Clock::now();
  // Silence the master caused by a turn longer than a heartbeat: excused
  // at the next tick. A turn's part before its tick is excused in that turn.
  Clock::duration unexcused{};
  Clock::duration excused_in_turn{};
  while (!stop.load()) {
    if (each_turn) each_turn();
    std::vector<zmq::pollitem_t> items = {{client_.handle(), 0, ZMQ_POLLIN, 0},
                                          {worker_.handle(), 0, ZMQ_POLLIN, 0}};
    if (watcher_) items.push_back({nullptr, watcher_->fd(), ZMQ_POLLIN, 0});
    const size_t watcher_item = items.size() - 1;
    checks_.add_poll_items(items);
    auto now = Clock::now();
    auto wake = std::min(next_heartbeat_, now + std::chrono::milliseconds(100));
    if (watcher_) wake = std::min(wake, watcher_->next_check());
    if (!watcher_backlog_.empty() && !checks_.full()) wake = now; // more of the backlog
    if (const auto deadline = checks_.next_deadline()) wake = std::min(wake, *deadline);
    if (reloading_keys()) wake = std::min(wake, now + std::chrono::milliseconds(5));
    const auto timeout =
        std::max(std::chrono::milliseconds(0),
                 std::chrono::duration_cast<std::chrono::milliseconds>(wake - now));
    const Clock::duration turn = Clock::now() - turn_start;
    turns_.record(turn);
    if (turn > config_.scheduler.heartbeat) unexcused += turn - excused_in_turn;
    excused_in_turn = {};
    try {
      zmq::poll(items, timeout);
    } catch (const zmq::error_t& e) {
      turn_start = Clock::now();      // the interrupted wait is no turn
      if (e.num() == EINTR) continue; // a signal: look at `stop`
      throw;
    }
    turn_start = Clock::now();
    Outbox out;
    if (items[0].revents & ZMQ_POLLIN) receive_clients(out, replies, snapshots);
    if (items[1].revents & ZMQ_POLLIN) receive_workers(out);
    if (watcher_) watcher_submissions((items[watcher_item].revents & ZMQ_POLLIN) != 0);
    finish_checks(out, replies);
    now = Clock::now();
    const double wall = unix_now();
    if (now - turn_start > config_.scheduler.heartbeat) {
      excused_in_turn = now - turn_start;
      unexcused += excused_in_turn;
    }
    if (unexcused > Clock::duration::zero()) {
      // Groups whose messages waited in the socket are heard now anyway; this
      // spares those whose link gave up meanwhile the charge of a lost group.
      spdlog::warn("the event loop was busy for {:.3f} s without reading: that silence is the "
                   "master's, not held against any group",
                   std::chrono::duration<double>(unexcused).count());
      scheduler_.excuse_silence(unexcused, now);
      unexcused = {};
    }
    scheduler_.tick(now, wall, out);
    scheduler_.dispatch(now, wall, out);
    if (now >= next_heartbeat_) {
      next_heartbeat_ = now + config_.scheduler.heartbeat;
      out.event(proto::MasterHeartbeat{scheduler_.jobs_in(JobState::queued),
                                       scheduler_.jobs_in(JobState::running),
                                       static_cast<int64_t>(scheduler_.groups())});
    }
    send_outbox(out, replies);
    if (metrics_ && now >= next_metrics_) publish_metrics(now);
    if (curve_) {
      curve_->log_handshake_failures();
      finish_key_reload();
    }
    if (now >= next_trim_) {
      // glibc keeps freed memory in per-thread caches (ZeroMQ's I/O thread
      // frees what the loop allocated) and gives it back only when asked: a
      // master that runs for months would otherwise creep (bench/soak.py).
      next_trim_ = now + std::chrono::minutes(1);
      malloc_trim(0);
    }
    // Snapshots last: they include every event published before them. One
    // body serves every status request of the turn (a table of a thousand
    // jobs takes milliseconds to encode).
    if (!snapshots.empty()) {
      const std::string body =
          status_->snapshot(scheduler_.job_rows(), scheduler_.worker_rows(wall, now));
      for (Reply& reply : snapshots) reply.body = body;
      send_replies(snapshots);
    }
  }
  spdlog::info("event loop: {}", turns_.summary());
  if (check_times_.count() > 0)
    spdlog::info("submission checks: {}", check_times_.summary("checks"));
  if (!submits_.empty())
    spdlog::warn("{} submission{} still being checked dropped: not accepted, their clients get no "
                 "reply (submit them again)",
                 submits_.size(), submits_.size() == 1 ? "" : "s");
  spdlog::info("h5io-master stopping (journal is complete; a restart resumes every unfinished "
               "job)");
}

} // namespace h5io::master
