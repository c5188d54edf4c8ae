#pragma once
// Peers that fail the CURVE handshake before the ZAP handler is asked: one
// without CURVE (a plain client or worker group), or one that encrypted its
// hello for another public key (a wrong --master-key). libzmq reports these
// only as socket monitor events, and in 4.3 with the master's own endpoint,
// not the peer's address, so the log says what went wrong and where, not
// who. Refusals the ZAP handler makes (unknown keys) are its own to log.
//
// The monitor sockets belong to the event loop's thread, like the sockets
// they watch; drain() is called once per loop turn (at most 100 ms apart).

#include "master/zap_handler.hpp"

#include <zmq.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace h5io::master {

// The log line for one failed handshake on `endpoint_name` ("client"), or
// none for events that need no line (a ZAP refusal: the handler logs it).
// `master_key` is the master's public key, which a peer should hold.
std::optional<std::string> handshake_failure_text(uint16_t event, uint32_t value,
                                                  const std::string& endpoint_name,
                                                  const std::string& master_key);

class HandshakeMonitor {
public:
  HandshakeMonitor(zmq::context_t& context, std::string master_key);
  HandshakeMonitor(const HandshakeMonitor&) = delete;
  HandshakeMonitor& operator=(const HandshakeMonitor&) = delete;

  // Starts watching `socket` (call before it binds). Throws Error if libzmq
  // refuses.
  void watch(zmq::socket_t& socket, const std::string& endpoint_name);
  // Reads every pending event and logs the failures (rate limited as ZAP
  // refusals are). Returns the lines logged, for tests. Never blocks.
  std::vector<std::string> drain();

private:
  struct Watched {
    std::string endpoint_name;
    zmq::socket_t events; // PAIR connected to the socket's monitor
  };
  zmq::context_t& context_;
  std::string master_key_;
  std::vector<Watched> watched_;
  RefusalLog refusals_;
};

} // namespace h5io::master
