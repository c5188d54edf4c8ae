#include "master/handshake_monitor.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstring>

namespace h5io::master {

namespace {

constexpr int kWatchedEvents = ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

} // namespace

std::optional<std::string> handshake_failure_text(uint16_t event, uint32_t value,
                                                  const std::string& endpoint_name,
                                                  const std::string& master_key) {
  const std::string where =
      fmt::format("a connection to the {} endpoint failed its handshake", endpoint_name);
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) return std::nullopt; // the ZAP handler's line
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
    // A peer without CURVE often closes as soon as it reads the master's
    // greeting, before its own says which mechanism it wanted.
    return fmt::format("{}: the peer closed it mid-handshake (as a peer without CURVE may, or one "
                       "that does not speak ZeroMQ)",
                       where);
  if (event != ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) return std::nullopt;
  switch (value) {
  case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
    return fmt::format("{}: the peer does not use CURVE (a client or worker group started "
                       "without --key and --master-key?)",
                       where);
  case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
    return fmt::format("{}: the peer encrypted for another public key: its --master-key must be "
                       "this master's, {}",
                       where, master_key);
  default: return fmt::format("{}: ZeroMQ protocol error 0x{:08x}", where, value);
  }
}

HandshakeMonitor::HandshakeMonitor(zmq::context_t& context, std::string master_key)
    : context_(context), master_key_(std::move(master_key)) {}

void HandshakeMonitor::watch(zmq::socket_t& socket, const std::string& endpoint_name) {
  const std::string address = fmt::format("inproc://h5io-handshakes-{}", watched_.size());
  if (zmq_socket_monitor(socket.handle(), address.c_str(), kWatchedEvents) != 0)
    throw Error(fmt::format("cannot watch the {} endpoint's handshakes: {}", endpoint_name,
                            zmq_strerror(zmq_errno())));
  Watched watched{endpoint_name, zmq::socket_t(context_, zmq::socket_type::pair)};
  watched.events.set(zmq::sockopt::linger, 0);
  watched.events.connect(address);
  watched_.push_back(std::move(watched));
}

std::vector<std::string> HandshakeMonitor::drain() {
  std::vector<std::string> logged;
  for (Watched& watched : watched_) {
    for (;;) {
      // Two frames: 6 bytes (event, value; native byte order), then the
      // endpoint, which names the master's side only.
      zmq::message_t header, endpoint;
      if (!watched.events.recv(header, zmq::recv_flags::dontwait)) break;
      if (header.more()) static_cast<void>(watched.events.recv(endpoint));
      if (header.size() < 6) continue;
      uint16_t event = 0;
      uint32_t value = 0;
      std::memcpy(&event, header.data(), sizeof(event));
      std::memcpy(&value, static_cast<const char*>(header.data()) + sizeof(event), sizeof(value));
      const std::optional<std::string> line =
          handshake_failure_text(event, value, watched.endpoint_name, master_key_);
      if (!line) continue;
      const std::string who = fmt::format("{}/{}/{}", watched.endpoint_name, event, value);
      for (std::string& out : refusals_.refused(who, *line, RefusalLog::Clock::now())) {
        spdlog::warn("{}", out);
        logged.push_back(std::move(out));
      }
    }
  }
  return logged;
}

} // namespace h5io::master
