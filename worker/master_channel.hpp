#pragma once
// What rank 0 of a worker group needs from its line to the master, apart
// from how the line works: messages out, the master's messages in, and news
// that the line was lost. The schedule and the group loop see only this.

#include "proto/messages.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <variant>

namespace h5io::worker {

// The master went silent (and the link is reconnecting) or said it does not
// know this group: any lease the group held is void, and the link has
// already sent (or will send) `ready` again.
struct LinkReset {
  std::string reason;
};

// A master message that concerns the group's work (assign, units, finish,
// release; heartbeats and disconnects are the link's business), or a reset.
using LinkEvent = std::variant<proto::MasterMessage, LinkReset>;

class MasterChannel {
public:
  virtual ~MasterChannel() = default;
  // Queues a message for the master; never blocks. Messages queued while
  // the link is down are dropped: their lease died with the link.
  virtual void send(proto::WorkerMessage message) = 0;
  // The next event, waiting at most `wait` for one.
  virtual std::optional<LinkEvent> next_event(std::chrono::milliseconds wait) = 0;
  // When the newest probe the master has answered on the present connection
  // was sent (the epoch if none): the master heard the group after that, so
  // it counted the group alive, and its lease valid, until at least then
  // plus its group timeout.
  virtual std::chrono::steady_clock::time_point confirmed() const = 0;
};

} // namespace h5io::worker
