#pragma once
// Everything the master does for CURVE (PROTOCOL.md section 4) besides its
// event loop: the ZAP handler that admits connections, the monitor that
// logs handshakes failing before ZAP is asked, the per-message check that
// keeps keys a reload removed out of connections made before it, and the
// reload itself. The event loop's thread calls every method.

#include "master/config.hpp"
#include "master/handshake_monitor.hpp"
#include "master/zap_handler.hpp"

#include <zmq.hpp>

#include <future>
#include <optional>
#include <string>

namespace h5io::master {

class CurveGuard {
public:
  // Loads the master's secret key and the authorised keys (throws Error
  // naming a bad file) and binds the ZAP handler in `context`. Create it
  // before any socket it guards binds: libzmq lets every CURVE peer in
  // while no handler is bound.
  CurveGuard(zmq::context_t& context, CurveConfig config);

  // Makes `socket` a CURVE server of `domain` (a zap_domain) and watches
  // its handshakes. Call before it binds.
  void secure(zmq::socket_t& socket, const char* domain, const char* endpoint_name);

  // Whether the connection `frame` came on is still authorised. ZAP vets a
  // connection once, at its handshake, so a key a reload removed would
  // otherwise go on working through a connection made before; its messages
  // are dropped (and logged, rate limited) instead.
  bool still_authorised(zmq::message_t& frame, const char* domain, const char* endpoint_name);
  // The name of the client key `frame`'s connection was let in with (the
  // key itself if a reload has removed it since).
  std::string client_name(zmq::message_t& frame) const;

  // Logs the handshakes that failed since the last call; never blocks.
  void log_handshake_failures();

  // SIGHUP: starts reading the key directories again, on a thread of its
  // own (thousands of key files take tens of milliseconds, which the event
  // loop must not wait for).
  void start_reload();
  bool reloading() const { return reload_.valid(); }
  // Once that reading has ended (none before): puts the new keys in force
  // for new connections and for every later message (see still_authorised).
  // A bad key file leaves the keys as they were (logged). The answer is
  // true when client keys were removed: the status subscribers must then be
  // cut off, since a PUB socket has no per-message check.
  std::optional<bool> finish_reload();

private:
  CurveGuard(zmq::context_t& context, CurveConfig config, CurveSetup setup);

  CurveConfig config_;
  std::string secret_key_; // Z85
  ZapHandler zap_;
  HandshakeMonitor handshakes_;
  RefusalLog revoked_log_;         // messages from keys a reload removed
  std::future<ZapDomains> reload_; // the key directories being read
};

// A property libzmq attaches to every message of a connection ("User-Id",
// "Peer-Address"), or "" when the connection has none (inproc, ipc).
std::string connection_property(zmq::message_t& frame, const char* name);

} // namespace h5io::master
