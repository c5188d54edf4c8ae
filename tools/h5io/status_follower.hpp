#pragma once
// Follows the master's status endpoint into a JobTable, following
// PROTOCOL.md's resynchronisation: subscribe first, take a snapshot, drop
// events it already covers (seq <= snapshot.seq), apply the rest in order,
// and take a new snapshot whenever an event's seq is not the last + 1 or its
// epoch changed (a master restart). Used by `h5io submit --wait` and
// `h5io status --follow`.

#include "job_table.hpp"
#include "proto/curve_keys.hpp"
#include "proto/messages.hpp"

#include <zmq.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace h5io::cli {

class StatusFollower {
public:
  using SnapshotSource = std::function<proto::Snapshot()>;

  // Subscribes to every topic at once: seq counts all events, so a watcher
  // of a subset could not tell a gap from a filtered event. After `silence`
  // without any event (the master heartbeats every second or so) it takes a
  // snapshot, which says whether the master is still there (the snapshot
  // source throws when it is not).
  // `curve`: this client's keys for a master that requires CURVE.
  StatusFollower(zmq::context_t& context, const std::string& status_endpoint,
                 SnapshotSource snapshot, std::chrono::milliseconds silence,
                 const std::optional<proto::CurveClientKeys>& curve = std::nullopt);

  // Takes a snapshot now (the first one, or to be sure of the table).
  void resync();

  // Waits up to `timeout` for events, then applies every event already
  // received, resynchronising as needed. Returns the events applied, in
  // order (an empty list when none came). Returns early, empty, when a
  // signal interrupts the wait.
  std::vector<proto::Event> poll(std::chrono::milliseconds timeout);

  const JobTable& table() const { return table_; }
  // Snapshots taken so far: a client may say it resynchronised.
  int snapshots() const { return snapshots_; }
  const proto::Snapshot& last_snapshot() const { return snapshot_taken_; }
  const std::string& epoch() const { return epoch_; }
  uint64_t seq() const { return seq_; }

private:
  std::optional<proto::Event> receive(std::chrono::milliseconds timeout);
  // True when the event is the next in order and was applied.
  bool apply_if_next(const proto::Event& event);

  zmq::socket_t socket_;
  SnapshotSource snapshot_;
  JobTable table_;
  proto::Snapshot snapshot_taken_;
  std::string epoch_;
  uint64_t seq_ = 0;
  int snapshots_ = 0;
  std::chrono::milliseconds silence_;
  std::chrono::steady_clock::time_point last_heard_;
};

} // namespace h5io::cli
