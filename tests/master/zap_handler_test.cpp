// The master's ZAP handler: the decision, the rate limit of refusal lines,
// and real CURVE sockets in one context: an authorised key gets through, an
// unknown key, a key of the other domain and a plain (NULL) peer do not.

#include "common/util/error.hpp"
#include "master/zap_handler.hpp"
#include "proto/curve_keys.hpp"
#include "scratch_dir.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

namespace h5io::master {
namespace {

using namespace std::chrono_literals;

ZapDomains domains_for(const std::string& client_key, const std::string& worker_key) {
  ZapDomains domains;
  domains[zap_domain::clients] = {"client", "/keys/clients", {{client_key, "alice"}}};
  domains[zap_domain::status] = {"status", "/keys/clients", {{client_key, "alice"}}};
  domains[zap_domain::workers] = {"worker", "/keys/workers", {{worker_key, "gpu"}}};
  return domains;
}

TEST(ZapHandler, Decision) {
  const ZapDomains domains = domains_for("A", "W");
  EXPECT_EQ(decide(domains, "clients", "CURVE", "A").status_code, "200");
  EXPECT_EQ(decide(domains, "clients", "CURVE", "A").name, "alice");
  EXPECT_EQ(decide(domains, "clients", "CURVE", "A").user_id, "A")
      << "the key: checked again later";
  EXPECT_EQ(decide(domains, "status", "CURVE", "A").status_code, "200");
  EXPECT_EQ(decide(domains, "workers", "CURVE", "W").status_code, "200");
  // A client's key does not make a worker, nor a worker's a client.
  EXPECT_EQ(decide(domains, "workers", "CURVE", "A").status_code, "400");
  EXPECT_EQ(decide(domains, "clients", "CURVE", "W").status_code, "400");
  EXPECT_EQ(decide(domains, "clients", "CURVE", "B").status_code, "400");
  EXPECT_EQ(decide(domains, "clients", "NULL", "").status_code, "400");
  EXPECT_EQ(decide(domains, "clients", "PLAIN", "A").status_code, "400");
  EXPECT_EQ(decide(domains, "other", "CURVE", "A").status_code, "400");
}

TEST(ZapHandler, RefusalLinesAreRateLimited) {
  RefusalLog log;
  const auto t0 = RefusalLog::Clock::time_point{} + 24h;
  auto lines = log.refused("clients/K", "refused K", t0);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "refused K (repeats are logged at most every 10 minutes)");
  // A peer that reconnects over and over: silence for 10 minutes...
  for (int i = 1; i <= 50; ++i)
    EXPECT_TRUE(log.refused("clients/K", "refused K", t0 + i * 1s).empty());
  // ...then one line with the count.
  lines = log.refused("clients/K", "refused K", t0 + 10min);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "refused K (refused 50 more times since the last line about it)");
  // The same key on another domain is another line.
  EXPECT_EQ(log.refused("workers/K", "refused K as worker", t0 + 10min).size(), 1u);

  // Many keys: at most 20 lines a minute, one note, then the count.
  RefusalLog flood;
  int logged = 0;
  std::vector<std::string> all;
  for (int i = 0; i < 100; ++i)
    for (std::string& line : flood.refused(fmt::format("k{}", i), "line", t0 + i * 100ms)) {
      all.push_back(line);
      ++logged;
    }
  ASSERT_EQ(logged, RefusalLog::kLinesPerMinute + 1);
  EXPECT_NE(all.back().find("more than 20 refused connections this minute"), std::string::npos);
  lines = flood.refused("next", "line", t0 + 61s);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "80 more refused connections were not logged in the last minute");
}

TEST(ZapHandler, KeyChangesNameWhatAReloadAddedAndRemoved) {
  ZapDomains before = domains_for("A", "W");
  EXPECT_TRUE(key_changes(before, before).empty());
  ZapDomains after = before;
  after[zap_domain::clients].keys = {{"A", "alice"}, {"C", "carol"}};
  after[zap_domain::status].keys = after[zap_domain::clients].keys;
  EXPECT_EQ(key_changes(before, after),
            std::vector<std::string>{"client keys: added carol (2 now)"});
  EXPECT_FALSE(removes_keys(before, after, zap_domain::status)) << "only added";
  after[zap_domain::clients].keys = {{"C", "carol"}};
  after[zap_domain::status].keys = after[zap_domain::clients].keys;
  after[zap_domain::workers].keys = {};
  EXPECT_EQ(key_changes(before, after),
            (std::vector<std::string>{"client keys: added carol; removed alice (1 now)",
                                      "worker keys: removed gpu (0 now)"}));
  EXPECT_TRUE(removes_keys(before, after, zap_domain::status));
  EXPECT_TRUE(removes_keys(before, after, zap_domain::workers));
}

// A CURVE server socket guarded by the handler, and peers to try on it.
class ZapSockets : public ::testing::Test {
protected:
  ZapSockets()
      : server_keys(proto::generate_curve_key_pair()), alice(proto::generate_curve_key_pair()),
        gpu(proto::generate_curve_key_pair()), mallory(proto::generate_curve_key_pair()) {}

  // Sends a request as a peer with `keys` (none: NULL mechanism); true when
  // the server received it within a second.
  bool gets_through(zmq::context_t& context, zmq::socket_t& server,
                    const std::optional<proto::CurveKeyPair>& keys) {
    zmq::socket_t peer(context, zmq::socket_type::dealer);
    peer.set(zmq::sockopt::linger, 0);
    if (keys) proto::set_curve_client(peer, {*keys, server_keys.public_key});
    peer.connect(endpoint);
    peer.send(zmq::str_buffer("hello"), zmq::send_flags::none);
    zmq::pollitem_t item{server.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, 1000ms) == 0) return false;
    zmq::message_t id, body;
    EXPECT_TRUE(server.recv(id));
    EXPECT_TRUE(server.recv(body));
    EXPECT_EQ(body.to_string(), "hello");
    return true;
  }

  proto::CurveKeyPair server_keys, alice, gpu, mallory;
  std::string endpoint;
};

TEST_F(ZapSockets, OnlyAuthorisedKeysOfTheDomainGetThrough) {
  zmq::context_t context;
  std::optional<ZapHandler> handler;
  handler.emplace(context, domains_for(alice.public_key, gpu.public_key));
  {
    zmq::socket_t server(context, zmq::socket_type::router);
    server.set(zmq::sockopt::linger, 0);
    proto::set_curve_server(server, server_keys.secret_key, zap_domain::clients);
    server.bind("tcp://127.0.0.1:*");
    endpoint = server.get(zmq::sockopt::last_endpoint);

    EXPECT_TRUE(gets_through(context, server, alice));
    EXPECT_FALSE(gets_through(context, server, mallory));
    EXPECT_FALSE(gets_through(context, server, gpu)); // a worker's key on the client socket
    EXPECT_FALSE(gets_through(context, server, std::nullopt));
    EXPECT_TRUE(gets_through(context, server, alice)); // still serving

    // SIGHUP's reload: mallory authorised, alice revoked, for new connections.
    handler->replace_domains(domains_for(mallory.public_key, gpu.public_key));
    EXPECT_TRUE(gets_through(context, server, mallory));
    EXPECT_FALSE(gets_through(context, server, alice));
    EXPECT_EQ(handler->domains().at(zap_domain::clients).keys.count(mallory.public_key), 1u);
    EXPECT_TRUE(handler->authorised(zap_domain::clients, mallory.public_key));
    EXPECT_FALSE(handler->authorised(zap_domain::clients, alice.public_key));
    EXPECT_FALSE(handler->authorised(zap_domain::workers, mallory.public_key));
  }
  // A second handler in the same context is refused with a clear error.
  try {
    ZapHandler second(context, {});
    FAIL() << "a second ZAP handler was bound";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot start the ZAP handler"), std::string::npos);
  }
  handler.reset(); // stops and joins at once
}

TEST(ZapHandler, LoadCurveSetupReadsTheConfiguredFiles) {
  const test::ScratchDir dir;
  const auto master = proto::write_key_pair(dir / "keys", "master", false);
  const auto alice = proto::write_key_pair(dir / "keys", "alice", false);
  const auto gpu = proto::write_key_pair(dir / "keys", "gpu", false);
  std::filesystem::create_directories(dir / "clients");
  std::filesystem::create_directories(dir / "workers");
  std::filesystem::copy_file(alice.public_file, dir / "clients" / "alice.key");
  std::filesystem::copy_file(gpu.public_file, dir / "workers" / "gpu.key");
  CurveConfig config{master.secret_file, dir / "clients", dir / "workers"};

  const CurveSetup setup = load_curve_setup(config);
  EXPECT_EQ(setup.secret_key, master.keys.secret_key);
  EXPECT_EQ(setup.public_key, master.keys.public_key);
  EXPECT_EQ(decide(setup.domains, zap_domain::clients, "CURVE", alice.keys.public_key).name,
            "alice");
  EXPECT_EQ(decide(setup.domains, zap_domain::status, "CURVE", alice.keys.public_key).status_code,
            "200");
  EXPECT_EQ(decide(setup.domains, zap_domain::workers, "CURVE", gpu.keys.public_key).status_code,
            "200");
  EXPECT_EQ(decide(setup.domains, zap_domain::workers, "CURVE", alice.keys.public_key).status_code,
            "400");

  config.secret_key_file = master.public_file; // the wrong half
  try {
    load_curve_setup(config);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("master.key' is not a CURVE secret key file"),
              std::string::npos)
        << e.what();
  }
}

} // namespace
} // namespace h5io::master
