#pragma once
// h5io-master's event loop: one thread polls the client, worker and watcher
// inputs, lets the scheduler decide, makes the decisions durable in the
// journal, and only then replies, sends to groups and publishes status.

#include "master/config.hpp"
#include "master/curve_guard.hpp"
#include "master/duration_histogram.hpp"
#include "master/journal.hpp"
#include "master/metrics_exporter.hpp"
#include "master/outbox.hpp"
#include "master/pending_checks.hpp"
#include "master/scan_watcher.hpp"
#include "master/scheduler.hpp"
#include "master/status_publisher.hpp"
#include "master/submit_check.hpp"

#include <zmq.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace h5io::master {

class MasterServer {
public:
  // Replays the journal and binds every endpoint; throws Error if it cannot.
  explicit MasterServer(MasterConfig config);

  // Serves until `stop` becomes true (a signal handler sets it). `each_turn`
  // runs once per loop turn (at least every 100 ms): the systemd watchdog
  // lives there, so a stuck loop is what stops feeding it.
  void run(const std::atomic<bool>& stop, const std::function<void()>& each_turn = {});

  // One line for `systemctl status`: queued and running jobs, worker groups.
  [[nodiscard]] std::string status_line() const;
  // SIGHUP: reads the authorised key directories again (the configuration
  // file is not re-read), off the event loop; the new keys are put in force
  // in the turn the reading ends. A bad key file leaves the keys in force as
  // they were; the error is logged.
  void reload_keys();
  // Whether a reload asked for has not yet ended.
  bool reloading_keys() const { return curve_ && (curve_->reloading() || reload_again_); }
  // The loop's turn times so far (logged when the master stops).
  const DurationHistogram& turn_stats() const { return turns_; }

private:
  struct Reply {
    std::vector<zmq::message_t> envelope;
    std::string body;
  };

  // A submit whose check runs in a child process. The clients waiting for
  // its reply (more than one when a client_ref is submitted again meanwhile)
  // are answered when it ends; the scan watcher's have none.
  struct PendingSubmit {
    CheckedJob checked; // paths resolved; the plan comes with the check's end
    std::string submitter;
    std::vector<std::vector<zmq::message_t>> waiting; // reply envelopes
  };
  // What a client request leads to: a reply now, a snapshot at the turn's
  // end, or a reply when a submission's check ends.
  enum class Answer { now, snapshot, later };

  // At start, after replay: rewrites the journal from the job table when
  // forgotten jobs make up most of it.
  void compact_journal();
  void receive_clients(Outbox& out, std::vector<Reply>& replies, std::vector<Reply>& snapshots);
  void receive_workers(Outbox& out);
  // `frame`: the request's body, whose connection says who sent it.
  Answer handle_client(zmq::message_t& frame, Reply& reply, Outbox& out);
  // The one path into the queue, for clients and the scan watcher alike:
  // starts the submission's check (taking `waiting`, the client's reply
  // envelope, if any: none for the watcher), or answers at once (a known
  // client_ref: its job's id; "" when it joined a check already running for
  // the same client_ref).
  // Throws Error with the reason for rejecting (also "busy, retry").
  std::optional<std::string> submit(const proto::SubmitRequest& request,
                                    const std::string& submitter,
                                    std::vector<zmq::message_t>* waiting);
  // Checks that ended this turn: the job is accepted (and gets its id) or
  // rejected, and every waiting client is answered.
  void finish_checks(Outbox& out, std::vector<Reply>& replies);
  // Who sent `frame`, for the job's record: with CURVE the name of the
  // client's key (its file's stem), else the client's address.
  std::string submitter_of(zmq::message_t& frame) const;
  // With CURVE, whether `frame`'s connection is still authorised.
  bool admitted(zmq::message_t& frame, const char* domain, const char* endpoint_name);
  void watcher_submissions(bool notified);
  // The end of a key reload, once its reading has ended.
  void finish_key_reload();
  // Makes the turn's journal records durable, then sends its replies,
  // messages to groups and status events.
  void send_outbox(Outbox& out, std::vector<Reply>& replies);
  // Hands the metrics exporter a fresh snapshot (a few times a second).
  void publish_metrics(Clock::time_point now);
  void send_replies(std::vector<Reply>& replies);

  MasterConfig config_;
  zmq::context_t context_;
  std::optional<CurveGuard> curve_; // with "curve" in the config; before the sockets it guards
  zmq::socket_t client_;
  zmq::socket_t worker_;
  Scheduler scheduler_;
  std::optional<Journal> journal_;
  std::optional<StatusPublisher> status_;
  std::optional<ScanWatcher> watcher_;
  Clock::time_point next_heartbeat_{};
  Clock::time_point next_trim_{};          // of the allocator's caches
  DurationHistogram turns_;                // the loop's busy time per turn
  DurationHistogram check_times_;          // how long each submission's check took
  std::optional<MetricsExporter> metrics_; // with metrics_address in the config
  Clock::time_point next_metrics_{};
  bool reload_again_ = false; // SIGHUP while a reload was reading
  PendingChecks checks_;
  std::map<uint64_t, PendingSubmit> submits_;     // by check id
  std::map<std::string, uint64_t> checking_refs_; // client_ref -> check id
  // Finished scans the watcher found while every check slot was taken:
  // submitted as slots free up (a scan is reported once).
  std::deque<proto::SubmitRequest> watcher_backlog_;
};

} // namespace h5io::master
