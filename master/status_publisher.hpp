#pragma once
// The status endpoint: a PUB socket sending topic + JSON, every message
// numbered (seq) within this master's epoch so that watchers can tell a gap
// or a restart, and the snapshot that shares the numbering.

#include "proto/messages.hpp"

#include <zmq.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace h5io::master {

// Wall-clock seconds since the Unix epoch.
double unix_now();

class StatusPublisher {
public:
  // `secure`, when given, sets the socket's security options before it binds.
  StatusPublisher(zmq::context_t& context, const std::string& endpoint,
                  const std::function<void(zmq::socket_t&)>& secure = {});

  void publish(const proto::StatusEvent& event);
  // The reply to a status request: reflects every event published so far.
  std::string snapshot(std::vector<proto::JobRow> jobs,
                       std::vector<proto::WorkerRow> workers) const;

  // Closes every subscriber's connection (the endpoint is unbound and bound
  // again), so that each must pass the ZAP handler anew: after a reload
  // removed keys, since a PUB socket cannot vet messages per subscriber.
  // Subscribers reconnect by themselves and see a gap in `seq` (they
  // resync from a snapshot). Throws Error if the endpoint cannot be bound
  // again within a few seconds.
  void drop_subscribers();

  const std::string& epoch() const { return epoch_; }
  uint64_t seq() const { return seq_; }

private:
  zmq::socket_t socket_;
  std::string epoch_;
  uint64_t seq_ = 0;
};

} // namespace h5io::master
