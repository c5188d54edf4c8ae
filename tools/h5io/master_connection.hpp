#pragma once
// The client side of the master's client endpoint: one request, one reply,
// with a deadline, so a client never hangs on a master that is not there.

#include "proto/curve_keys.hpp"
#include "proto/messages.hpp"

#include <zmq.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace h5io::cli {

// The master did not answer in time (or cannot be reached): the commands
// exit 2 for this, 1 for a job that failed or was refused.
class NoReply : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class MasterConnection {
public:
  // `curve`: this client's keys for a master that requires CURVE.
  MasterConnection(zmq::context_t& context, std::string endpoint, std::chrono::milliseconds timeout,
                   std::optional<proto::CurveClientKeys> curve = std::nullopt);

  // Sends `frame`, returns the reply's frame, waiting at most `timeout`
  // (default: the connection's). Throws NoReply.
  std::string request(const std::string& frame,
                      std::optional<std::chrono::milliseconds> timeout = std::nullopt) const;
  // A status request. Throws NoReply, or ProtocolError for a bad reply.
  proto::Snapshot snapshot() const;
  // The raw JSON of a snapshot, for --json.
  std::string snapshot_frame() const;

  const std::string& endpoint() const { return endpoint_; }
  const std::optional<proto::CurveClientKeys>& curve() const { return curve_; }

private:
  zmq::context_t& context_;
  std::string endpoint_;
  std::chrono::milliseconds timeout_;
  std::optional<proto::CurveClientKeys> curve_;
};

// The status endpoint that goes with a client endpoint by default: the same
// host, the next port (tcp://host:5555 -> tcp://host:5556). Throws Error
// when `client_endpoint` is not tcp://HOST:PORT.
std::string default_status_endpoint(const std::string& client_endpoint);

// Sockets our clients open: no lingering on exit, nothing larger than the
// protocol allows is ever read, and CURVE when keys are given.
void configure_client_socket(zmq::socket_t& socket,
                             const std::optional<proto::CurveClientKeys>& curve = std::nullopt);

} // namespace h5io::cli
