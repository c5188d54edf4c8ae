#include "master_connection.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>

#include <charconv>

namespace h5io::cli {

void configure_client_socket(zmq::socket_t& socket,
                             const std::optional<proto::CurveClientKeys>& curve) {
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::maxmsgsize, proto::kSocketMaxMessageBytes);
  if (curve) proto::set_curve_client(socket, *curve);
}

MasterConnection::MasterConnection(zmq::context_t& context, std::string endpoint,
                                   std::chrono::milliseconds timeout,
                                   std::optional<proto::CurveClientKeys> curve)
    : context_(context), endpoint_(std::move(endpoint)), timeout_(timeout),
      curve_(std::move(curve)) {}

std::string MasterConnection::request(const std::string& frame,
                                      std::optional<std::chrono::milliseconds> timeout) const {
  const std::chrono::milliseconds wait = timeout.value_or(timeout_);
  // A fresh REQ socket per request: after a timeout a REQ socket is stuck
  // waiting for its reply and can send nothing else.
  zmq::socket_t socket(context_, zmq::socket_type::req);
  configure_client_socket(socket, curve_);
  socket.set(zmq::sockopt::rcvtimeo, static_cast<int>(wait.count()));
  try {
    socket.connect(endpoint_);
  } catch (const zmq::error_t& e) {
    throw NoReply(fmt::format("cannot connect to the master at '{}': {}", endpoint_, e.what()));
  }
  socket.send(zmq::buffer(frame), zmq::send_flags::none);
  zmq::message_t reply;
  if (!socket.recv(reply))
    // A master refuses an unknown CURVE key by dropping the connection: to
    // this client that is silence, like a master that is down.
    throw NoReply(fmt::format("no reply from the master at {} within {:g} s{}", endpoint_,
                              std::chrono::duration<double>(wait).count(),
                              curve_ ? " (if it is up: is this client's public key in its "
                                       "authorized_clients_dir, and --master-key its key?)"
                                     : ""));
  return reply.to_string();
}

std::string MasterConnection::snapshot_frame() const {
  return request(proto::encode(proto::StatusRequest{}));
}

proto::Snapshot MasterConnection::snapshot() const {
  return proto::parse_snapshot(snapshot_frame());
}

std::string default_status_endpoint(const std::string& client_endpoint) {
  const size_t colon = client_endpoint.rfind(':');
  int port = 0;
  const char* digits = client_endpoint.data() + colon + 1;
  const char* end = client_endpoint.data() + client_endpoint.size();
  if (client_endpoint.starts_with("tcp://") && colon > 5) {
    const auto [ptr, ec] = std::from_chars(digits, end, port);
    if (ec == std::errc() && ptr == end && port > 0 && port < 65535)
      return fmt::format("{}:{}", client_endpoint.substr(0, colon), port + 1);
  }
  throw Error(fmt::format("cannot tell the status endpoint from '{}' (expected tcp://HOST:PORT, "
                          "whose status endpoint is PORT + 1); give it with --status",
                          client_endpoint));
}

} // namespace h5io::cli
