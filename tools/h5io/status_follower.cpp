#include "status_follower.hpp"

#include "master_connection.hpp"

#include <cerrno>

namespace h5io::cli {

StatusFollower::StatusFollower(zmq::context_t& context, const std::string& status_endpoint,
                               SnapshotSource snapshot, std::chrono::milliseconds silence,
                               const std::optional<proto::CurveClientKeys>& curve)
    : socket_(context, zmq::socket_type::sub), snapshot_(std::move(snapshot)), silence_(silence) {
  configure_client_socket(socket_, curve);
  socket_.set(zmq::sockopt::subscribe, "");
  socket_.connect(status_endpoint);
}

void StatusFollower::resync() {
  snapshot_taken_ = snapshot_();
  table_.load(snapshot_taken_);
  epoch_ = snapshot_taken_.epoch;
  seq_ = snapshot_taken_.seq;
  ++snapshots_;
  last_heard_ = std::chrono::steady_clock::now();
}

std::optional<proto::Event> StatusFollower::receive(std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  try {
    if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
    std::vector<zmq::message_t> frames;
    zmq::message_t frame;
    do {
      if (!socket_.recv(frame, zmq::recv_flags::dontwait)) return std::nullopt;
      frames.push_back(std::move(frame));
    } while (frames.back().more());
    if (frames.size() != 2) return std::nullopt;
    return proto::parse_event(frames[0].to_string_view(), frames[1].to_string_view());
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return std::nullopt; // Ctrl-C: the caller decides
    throw;
  } catch (const proto::ProtocolError&) {
    // A malformed event is skipped; the seq of the next one shows the gap.
    return std::nullopt;
  }
}

bool StatusFollower::apply_if_next(const proto::Event& event) {
  if (event.epoch != epoch_ || event.seq != seq_ + 1) return false;
  table_.apply(event);
  seq_ = event.seq;
  return true;
}

std::vector<proto::Event> StatusFollower::poll(std::chrono::milliseconds timeout) {
  if (snapshots_ == 0) resync();
  std::vector<proto::Event> applied;
  // Bounded, so a flood of events cannot keep the caller from redrawing.
  constexpr size_t kMaxEventsPerPoll = 1000;
  for (auto wait = timeout; applied.size() < kMaxEventsPerPoll; wait = {}) {
    auto event = receive(wait);
    if (!event) break;
    last_heard_ = std::chrono::steady_clock::now();
    // Already in the snapshot: events sent before it, buffered since.
    if (event->epoch == epoch_ && event->seq <= seq_) continue;
    if (apply_if_next(*event)) {
      applied.push_back(std::move(*event));
      continue;
    }
    // A gap, or a new epoch. The event was published before the new snapshot
    // is taken, so afterwards it is either covered, the next one, or from a
    // master that is gone: never a reason for yet another snapshot.
    resync();
    if (apply_if_next(*event)) applied.push_back(std::move(*event));
  }
  if (std::chrono::steady_clock::now() - last_heard_ > silence_) resync();
  return applied;
}

} // namespace h5io::cli
