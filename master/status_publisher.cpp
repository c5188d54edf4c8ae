#include "master/status_publisher.hpp"

#include "common/util/error.hpp"
#include "master/sockets.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <unistd.h>

namespace h5io::master {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

StatusPublisher::StatusPublisher(zmq::context_t& context, const std::string& endpoint,
                                 const std::function<void(zmq::socket_t&)>& secure)
    : socket_(context, zmq::socket_type::pub),
      epoch_(fmt::format("m-{}-{}", static_cast<int64_t>(unix_now()), ::getpid())) {
  // Watchers that fall behind lose events (they see the gap and resync);
  // the master never blocks on them.
  socket_.set(zmq::sockopt::sndhwm, 100000);
  socket_.set(zmq::sockopt::linger, 500);
  // Subscriptions are stored: a subscriber must not make the master keep a
  // huge one (or many bytes of them) in memory.
  socket_.set(zmq::sockopt::maxmsgsize, proto::kMaxSubscriptionBytes);
  if (secure) secure(socket_);
  bind_endpoint(socket_, endpoint, "status");
}

void StatusPublisher::publish(const proto::StatusEvent& event) {
  const std::string body = proto::encode_event(event, ++seq_, unix_now(), epoch_);
  socket_.send(zmq::buffer(proto::topic_of(event)), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(body), zmq::send_flags::dontwait);
}

void StatusPublisher::drop_subscribers() {
  // The bound address, not the configured one: "tcp://*:0" names no port.
  const std::string endpoint = socket_.get(zmq::sockopt::last_endpoint);
  socket_.unbind(endpoint);
  // libzmq closes the listener (and the connections it accepted) in its I/O
  // thread: the port is free again moments later.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    try {
      socket_.bind(endpoint);
      return;
    } catch (const zmq::error_t& e) {
      if (e.num() != EADDRINUSE || std::chrono::steady_clock::now() > give_up)
        throw Error(fmt::format("cannot bind the status endpoint {} again: {}; restart the "
                                "master to serve status again",
                                endpoint, e.what()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string StatusPublisher::snapshot(std::vector<proto::JobRow> jobs,
                                      std::vector<proto::WorkerRow> workers) const {
  return proto::encode(
      proto::Snapshot{seq_, unix_now(), epoch_, std::move(jobs), std::move(workers)});
}

} // namespace h5io::master
