// Rank 0's link to the master (MasterLink) against a scripted master: a
// ROUTER socket on loopback that the test reads and answers by hand. What
// the link tells the schedule: which probe answers vouch for the lease
// (confirmed()), when the lease is void (LinkReset), and which messages
// reach the group.

#include "worker/master_link.hpp"

#include <gtest/gtest.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <chrono>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace h5io::worker {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class ScriptedMaster {
public:
  ScriptedMaster() : socket_(context_, zmq::socket_type::router) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind("tcp://127.0.0.1:*");
    endpoint = socket_.get(zmq::sockopt::last_endpoint);
  }

  // The next message from the group, waiting at most `wait`.
  std::optional<proto::WorkerMessage> receive(milliseconds wait = 2000ms) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, wait) == 0) return std::nullopt;
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(socket_, std::back_inserter(parts))) return std::nullopt;
    peer_ = parts.front().to_string();
    return proto::parse_worker_message(parts.back().to_string_view());
  }

  // The next message of type M, skipping others (heartbeats, mostly).
  template <class M> std::optional<M> receive_a(milliseconds wait = 2000ms) {
    const Clock::time_point deadline = Clock::now() + wait;
    while (Clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      std::optional<proto::WorkerMessage> message = receive(left);
      if (message && std::holds_alternative<M>(*message)) return std::get<M>(*message);
    }
    return std::nullopt;
  }

  // Drops what the group sent so far (probes that piled up unanswered).
  void drain() {
    while (receive(0ms)) {
    }
  }

  // The next probe, with when it arrived.
  std::pair<int64_t, Clock::time_point> receive_probe() {
    for (;;) {
      const std::optional<proto::Heartbeat> beat = receive_a<proto::Heartbeat>();
      if (!beat) {
        ADD_FAILURE() << "no probe from the group";
        return {-1, Clock::now()};
      }
      if (beat->probe) return {*beat->probe, Clock::now()};
    }
  }

  void send(const proto::MasterMessage& message) {
    socket_.send(zmq::buffer(peer_), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(proto::encode(message)));
  }

  std::string endpoint;

private:
  zmq::context_t context_{1};
  zmq::socket_t socket_;
  std::string peer_;
};

LinkOptions options(const std::string& endpoint, milliseconds heartbeat, int liveness) {
  LinkOptions o;
  o.endpoint = endpoint;
  o.ready = proto::Ready{"g1", "host", 1, 2, static_cast<int>(heartbeat.count()), "instance-1"};
  o.heartbeat = heartbeat;
  o.liveness = liveness;
  return o;
}

// Waits (at most 2 s) until confirmed() differs from `from`.
Clock::time_point confirmed_change(const MasterLink& link, Clock::time_point from) {
  const Clock::time_point deadline = Clock::now() + 2s;
  while (link.confirmed() == from && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  return link.confirmed();
}

TEST(MasterLink, AnnouncesTheGroupThenProbesWithRisingNumbers) {
  ScriptedMaster master;
  MasterLink link(options(master.endpoint, 20ms, 100));
  const std::optional<proto::Ready> ready = master.receive_a<proto::Ready>();
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->group, "g1");
  EXPECT_EQ(ready->heartbeat_ms, 20);
  const int64_t first = master.receive_probe().first;
  const int64_t second = master.receive_probe().first;
  EXPECT_LT(first, second);
  EXPECT_EQ(link.confirmed(), Clock::time_point{}) << "nothing vouched for before an answer";
}

TEST(MasterLink, AnAnsweredProbeVouchesForTheTimeItWasSent) {
  ScriptedMaster master;
  const Clock::time_point started = Clock::now();
  MasterLink link(options(master.endpoint, 20ms, 100));
  const auto [probe, arrived] = master.receive_probe();
  master.send(proto::Heartbeat{probe});
  const Clock::time_point confirmed = confirmed_change(link, {});
  EXPECT_GE(confirmed, started);
  EXPECT_LE(confirmed, arrived) << "not when the answer came: when the probe left";
}

TEST(MasterLink, AnAnswerThatWaitedVouchesOnlyForItsOldProbe) {
  // A group stopped (SIGSTOP) finds the master's answer to an old probe in
  // its buffer on waking: that answer says nothing about the time since.
  ScriptedMaster master;
  MasterLink link(options(master.endpoint, 20ms, 100));
  const auto [old_probe, arrived] = master.receive_probe();
  std::this_thread::sleep_for(300ms); // newer probes pile up unanswered
  master.send(proto::Heartbeat{old_probe});
  const Clock::time_point confirmed = confirmed_change(link, {});
  EXPECT_LE(confirmed, arrived);
  EXPECT_GE(Clock::now() - confirmed, 300ms) << "a 400 ms group timeout would not let it write";

  // An answer to a fresh probe vouches again.
  master.drain();
  const auto [fresh, fresh_arrived] = master.receive_probe();
  master.send(proto::Heartbeat{fresh});
  const Clock::time_point refreshed = confirmed_change(link, confirmed);
  EXPECT_GT(refreshed, confirmed);
  EXPECT_LE(refreshed, fresh_arrived);
}

TEST(MasterLink, AnAnswerToAProbeNeverSentVouchesForNothing) {
  ScriptedMaster master;
  MasterLink link(options(master.endpoint, 20ms, 100));
  const int64_t probe = master.receive_probe().first;
  master.send(proto::Heartbeat{probe + 1000});
  master.send(proto::Heartbeat{}); // a plain heartbeat: the master is alive, nothing more
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(link.confirmed(), Clock::time_point{});
}

TEST(MasterLink, AMasterSilentForLivenessHeartbeatsVoidsTheLease) {
  ScriptedMaster master;
  const Clock::time_point started = Clock::now();
  MasterLink link(options(master.endpoint, 20ms, 3));
  ASSERT_TRUE(master.receive_a<proto::Ready>());
  // The master hears every probe but answers none.
  const std::optional<LinkEvent> event = link.next_event(2000ms);
  ASSERT_TRUE(event) << "the link never gave the master up";
  ASSERT_TRUE(std::holds_alternative<LinkReset>(*event));
  EXPECT_EQ(std::get<LinkReset>(*event).reason, "the master went silent");
  EXPECT_GE(Clock::now() - started, 60ms) << "not before 3 x 20 ms of silence";
}

TEST(MasterLink, ADisconnectVoidsTheLeaseAndTheGroupAnnouncesItselfAgain) {
  ScriptedMaster master;
  MasterLink link(options(master.endpoint, 20ms, 100));
  ASSERT_TRUE(master.receive_a<proto::Ready>());
  const int64_t probe = master.receive_probe().first;
  master.send(proto::Heartbeat{probe});
  const Clock::time_point confirmed = confirmed_change(link, {});
  ASSERT_NE(confirmed, Clock::time_point{});

  master.send(proto::Disconnect{}); // the master restarted and forgot the group
  const std::optional<LinkEvent> event = link.next_event(2000ms);
  ASSERT_TRUE(event);
  ASSERT_TRUE(std::holds_alternative<LinkReset>(*event));
  EXPECT_EQ(confirmed_change(link, confirmed), Clock::time_point{})
      << "the old answers vouch for no new lease";
  EXPECT_TRUE(master.receive_a<proto::Ready>()) << "ready again, on the same connection";
}

TEST(MasterLink, WorkMessagesReachTheGroupAndTheGroupsReachTheMaster) {
  ScriptedMaster master;
  MasterLink link(options(master.endpoint, 20ms, 100));
  ASSERT_TRUE(master.receive_a<proto::Ready>());
  master.send(proto::Heartbeat{});
  master.send(proto::MoreUnits{"job-1", 7, {{2, 8, 4}}});
  master.send(proto::Release{"job-1", 7, "the lease expired", false});

  std::optional<LinkEvent> event = link.next_event(2000ms);
  ASSERT_TRUE(event);
  const auto* units = std::get_if<proto::MoreUnits>(&std::get<proto::MasterMessage>(*event));
  ASSERT_NE(units, nullptr) << "heartbeats are the link's business, not the group's";
  EXPECT_EQ(units->lease, 7);
  event = link.next_event(2000ms);
  ASSERT_TRUE(event);
  EXPECT_TRUE(std::holds_alternative<proto::Release>(std::get<proto::MasterMessage>(*event)));

  link.send(proto::UnitsDone{"job-1", 7, {2}});
  const std::optional<proto::UnitsDone> done = master.receive_a<proto::UnitsDone>();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->units, (std::vector<int64_t>{2}));
}

} // namespace
} // namespace h5io::worker
