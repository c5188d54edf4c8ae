// Handshakes that fail before the ZAP handler is asked, on real CURVE
// sockets: a plain peer and one holding a wrong master key are each logged
// once, with what to fix; an unknown key is left to the ZAP handler.

#include "master/handshake_monitor.hpp"
#include "proto/curve_keys.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace h5io::master {
namespace {

using namespace std::chrono_literals;

TEST(HandshakeMonitor, Texts) {
  EXPECT_EQ(*handshake_failure_text(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                                    ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, "client", "K"),
            "a connection to the client endpoint failed its handshake: the peer does not use "
            "CURVE (a client or worker group started without --key and --master-key?)");
  EXPECT_NE(handshake_failure_text(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                                   ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, "worker", "K")
                ->find("its --master-key must be this master's, K"),
            std::string::npos);
  EXPECT_NE(handshake_failure_text(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, 0x10000003, "status", "K")
                ->find("ZeroMQ protocol error 0x10000003"),
            std::string::npos);
  EXPECT_FALSE(handshake_failure_text(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400, "client", "K"));
}

// Lines drained within `wait` after `peer` sent one message.
std::vector<std::string> lines_after(HandshakeMonitor& monitor, zmq::socket_t& peer,
                                     std::chrono::milliseconds wait) {
  peer.send(zmq::str_buffer("hello"), zmq::send_flags::dontwait);
  std::vector<std::string> all;
  const auto end = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < end) {
    for (std::string& line : monitor.drain()) all.push_back(std::move(line));
    std::this_thread::sleep_for(20ms);
  }
  return all;
}

TEST(HandshakeMonitor, FailuresBeforeZapAreLoggedOnce) {
  const proto::CurveKeyPair master = proto::generate_curve_key_pair();
  const proto::CurveKeyPair alice = proto::generate_curve_key_pair();
  const proto::CurveKeyPair other = proto::generate_curve_key_pair();
  zmq::context_t context;
  ZapHandler zap(context, {{zap_domain::clients, {"client", "/keys", {}}}});
  HandshakeMonitor monitor(context, master.public_key);
  {
    zmq::socket_t server(context, zmq::socket_type::router);
    server.set(zmq::sockopt::linger, 0);
    proto::set_curve_server(server, master.secret_key, zap_domain::clients);
    monitor.watch(server, "client");
    server.bind("tcp://127.0.0.1:*");
    const std::string endpoint = server.get(zmq::sockopt::last_endpoint);
    const auto peer = [&](const std::optional<std::string>& server_key) {
      zmq::socket_t socket(context, zmq::socket_type::dealer);
      socket.set(zmq::sockopt::linger, 0);
      if (server_key) proto::set_curve_client(socket, {alice, *server_key});
      socket.connect(endpoint);
      return socket;
    };

    zmq::socket_t plain = peer(std::nullopt);
    auto lines = lines_after(monitor, plain, 500ms);
    ASSERT_EQ(lines.size(), 1u);
    // Which of the two libzmq reports depends on which side reads first.
    EXPECT_TRUE(lines[0].find("does not use CURVE") != std::string::npos ||
                lines[0].find("as a peer without CURVE may") != std::string::npos)
        << lines[0];
    plain.close();

    zmq::socket_t wrong_key = peer(other.public_key);
    lines = lines_after(monitor, wrong_key, 500ms);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("its --master-key must be this master's, " + master.public_key),
              std::string::npos)
        << lines[0];
    wrong_key.close();

    zmq::socket_t unknown = peer(master.public_key); // right master key, not authorised
    EXPECT_TRUE(lines_after(monitor, unknown, 300ms).empty()) << "the ZAP handler's to log";
  }
}

} // namespace
} // namespace h5io::master
