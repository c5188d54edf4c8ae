#pragma once
// Rank 0's line to the master (PROTOCOL.md section 3), after the zguide's
// Paranoid Pirate worker: a DEALER socket that announces the group with
// `ready`, heartbeats whenever it has sent nothing for a heartbeat period,
// treats the master as dead after `liveness` silent periods and then
// reconnects with a fresh socket after a back-off of 1 s doubling to 32 s.
// Every heartbeat carries a probe number that the master echoes; the echo
// tells the group its lease still stands (confirmed()), which is what lets
// it write (fencing: a group that was stopped must not write once the master
// has given its units to another).
//
// The socket lives on a thread of its own, so heartbeats go on while the
// main thread is busy in HDF5, MPI or waiting for a library; the main thread
// never touches ZeroMQ and talks to the thread through two queues.

#include "worker/master_channel.hpp"

#include "common/util/file_descriptor.hpp"
#include "proto/curve_keys.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace zmq {
class context_t;
}

namespace h5io::worker {

struct LinkOptions {
  std::string endpoint; // e.g. tcp://127.0.0.1:5557
  proto::Ready ready;   // what the group announces, on every (re)connection
  std::chrono::milliseconds heartbeat{1000};
  int liveness = 3;
  // --key and --master-key: CURVE towards a master that requires it
  // (PROTOCOL.md section 4); none: plain TCP.
  std::optional<proto::CurveClientKeys> curve;
};

class MasterLink final : public MasterChannel {
public:
  // Starts the thread, which connects and sends `ready` at once.
  explicit MasterLink(LinkOptions options);
  // Sends what is queued (a last `disconnect`, say), then closes the socket,
  // waiting at most the socket's short linger for delivery.
  ~MasterLink() override;
  MasterLink(const MasterLink&) = delete;
  MasterLink& operator=(const MasterLink&) = delete;

  void send(proto::WorkerMessage message) override;
  std::optional<LinkEvent> next_event(std::chrono::milliseconds wait) override;
  std::chrono::steady_clock::time_point confirmed() const override;

private:
  // On the link thread.
  void loop();
  enum class Conversation { stopped, heard, unanswered };
  // One connection, until the master goes silent or the link is stopped.
  Conversation converse(zmq::context_t& context);
  // Waits `pause` before reconnecting, dropping what the main thread sends
  // meanwhile; returns false when the link is ending.
  bool back_off(std::chrono::milliseconds pause);
  std::deque<proto::WorkerMessage> take_outbound();
  void deliver(LinkEvent event);
  bool stopping();
  void set_confirmed(std::chrono::steady_clock::time_point when);
  void wake() const;
  void drain_wake_fd() const;

  const LinkOptions options_;
  FileDescriptor wake_fd_; // eventfd: the main thread's "look at the queue"
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<LinkEvent> inbound_;
  std::deque<proto::WorkerMessage> outbound_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point confirmed_{};
  int64_t next_probe_ = 1; // link thread only
  std::thread thread_;     // last: starts once everything above exists
};

} // namespace h5io::worker
