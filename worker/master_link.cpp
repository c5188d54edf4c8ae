#include "worker/master_link.hpp"

#include <spdlog/spdlog.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <sys/eventfd.h>
#include <unistd.h>
#include <variant>

namespace h5io::worker {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstBackOff{1000};
constexpr milliseconds kLongestBackOff{32000};
// Long enough to deliver a last `disconnect`, short enough not to hold up an
// exit when the master is gone.
constexpr int kLingerMs = 500;

milliseconds until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  return std::max(left, milliseconds(0));
}

const char* type_name(const proto::MasterMessage& message) {
  constexpr const char* names[] = {"assign",  "units",     "finish",
                                   "release", "heartbeat", "disconnect"};
  // One name per alternative, in the variant's order (proto/messages.hpp).
  static_assert(std::size(names) == std::variant_size_v<proto::MasterMessage>);
  return names[message.index()];
}

} // namespace

MasterLink::MasterLink(LinkOptions options)
    : options_(std::move(options)), wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!wake_fd_.valid())
    throw std::runtime_error(std::string("eventfd failed: ") + std::strerror(errno));
  thread_ = std::thread([this] { loop(); });
}

MasterLink::~MasterLink() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  thread_.join();
}

void MasterLink::send(proto::WorkerMessage message) {
  {
    const std::lock_guard lock(mutex_);
    outbound_.push_back(std::move(message));
  }
  wake();
}

std::optional<LinkEvent> MasterLink::next_event(milliseconds wait) {
  std::unique_lock lock(mutex_);
  if (!arrived_.wait_for(lock, wait, [this] { return !inbound_.empty(); })) return std::nullopt;
  LinkEvent event = std::move(inbound_.front());
  inbound_.pop_front();
  return event;
}

void MasterLink::wake() const {
  const uint64_t one = 1;
  // Fails only when the counter is saturated, which still wakes the thread.
  static_cast<void>(::write(wake_fd_.get(), &one, sizeof(one)));
}

void MasterLink::drain_wake_fd() const {
  uint64_t count = 0;
  static_cast<void>(::read(wake_fd_.get(), &count, sizeof(count)));
}

std::deque<proto::WorkerMessage> MasterLink::take_outbound() {
  const std::lock_guard lock(mutex_);
  return std::exchange(outbound_, {});
}

void MasterLink::deliver(LinkEvent event) {
  {
    const std::lock_guard lock(mutex_);
    inbound_.push_back(std::move(event));
  }
  arrived_.notify_one();
}

bool MasterLink::stopping() {
  const std::lock_guard lock(mutex_);
  return stopping_;
}

std::chrono::steady_clock::time_point MasterLink::confirmed() const {
  const std::lock_guard lock(mutex_);
  return confirmed_;
}

void MasterLink::set_confirmed(Clock::time_point when) {
  const std::lock_guard lock(mutex_);
  confirmed_ = when;
}

void MasterLink::loop() {
  zmq::context_t context(1);
  milliseconds pause = kFirstBackOff;
  for (;;) {
    const Conversation ended = converse(context);
    if (ended == Conversation::stopped) return;
    // Paranoid Pirate: a master that answered was up; only a master that
    // never answers earns a longer wait.
    if (ended == Conversation::heard) pause = kFirstBackOff;
    if (!back_off(pause)) return;
    pause = std::min(pause * 2, kLongestBackOff);
  }
}

MasterLink::Conversation MasterLink::converse(zmq::context_t& context) {
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, kLingerMs);
  socket.set(zmq::sockopt::maxmsgsize, proto::kSocketMaxMessageBytes);
  // A master that refuses the key drops the connection: the group hears
  // nothing and retries with back-off (the master's log names the key).
  if (options_.curve) proto::set_curve_client(socket, *options_.curve);
  socket.connect(options_.endpoint);

  const milliseconds heartbeat = options_.heartbeat;
  const milliseconds silence_limit = heartbeat * options_.liveness;
  Clock::time_point last_heard = Clock::now();
  bool heard = false;
  // Probes sent on this connection and not yet answered, oldest first. An
  // answer vouches only for the time its probe left: one that waited in a
  // buffer while the group was stopped vouches for nothing recent.
  std::deque<std::pair<int64_t, Clock::time_point>> probes;
  Clock::time_point last_probe{};
  set_confirmed({}); // a new connection: nothing confirmed yet
  const auto transmit = [&](const proto::WorkerMessage& message) {
    const std::string frame = proto::encode(message);
    if (!socket.send(zmq::buffer(frame), zmq::send_flags::dontwait))
      spdlog::warn("the queue to the master is full; a message was dropped");
  };
  // Every heartbeat period, busy or not: the answers keep the lease vouched for.
  const auto probe = [&] {
    last_probe = Clock::now();
    probes.emplace_back(next_probe_, last_probe);
    if (probes.size() > 64) probes.pop_front(); // a master that never answers
    transmit(proto::Heartbeat{next_probe_++});
  };
  const auto answered = [&](int64_t number) {
    while (!probes.empty() && probes.front().first <= number) {
      if (probes.front().first == number) set_confirmed(probes.front().second);
      probes.pop_front();
    }
  };
  spdlog::info("connecting to the master at {} as group '{}' ({} ranks, credit {})",
               options_.endpoint, options_.ready.group, options_.ready.ranks,
               options_.ready.credit);
  transmit(options_.ready);
  probe();

  for (;;) {
    std::vector<zmq::pollitem_t> items = {{socket.handle(), 0, ZMQ_POLLIN, 0},
                                          {nullptr, wake_fd_.get(), ZMQ_POLLIN, 0}};
    const milliseconds wait =
        std::min(until(last_probe + heartbeat), until(last_heard + silence_limit));
    zmq::poll(items, wait);
    if ((items[1].revents & ZMQ_POLLIN) != 0) drain_wake_fd();

    std::vector<zmq::message_t> parts;
    while (zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
      last_heard = Clock::now();
      heard = true;
      // The body is the last frame, whatever envelope came before it.
      const std::string_view body = parts.back().to_string_view();
      try {
        proto::MasterMessage message = proto::parse_master_message(body);
        if (std::holds_alternative<proto::Disconnect>(message)) {
          spdlog::info("the master does not know this group; announcing it again");
          deliver(LinkReset{"the master does not know this group"});
          probes.clear();
          set_confirmed({});
          transmit(options_.ready);
          probe();
        } else if (const auto* beat = std::get_if<proto::Heartbeat>(&message)) {
          if (beat->probe) answered(*beat->probe);
        } else {
          spdlog::debug("from the master: {}", type_name(message));
          deliver(std::move(message));
        }
      } catch (const proto::ProtocolError& e) {
        spdlog::warn("ignoring a malformed message from the master: {}", e.what());
      }
      parts.clear();
    }

    // Whatever was queued before the link was told to stop still goes out.
    const bool ending = stopping();
    for (const proto::WorkerMessage& message : take_outbound()) transmit(message);
    if (ending) return Conversation::stopped;
    if (Clock::now() - last_probe >= heartbeat) probe();
    if (Clock::now() - last_heard >= silence_limit) {
      spdlog::warn("the master has been silent for {} ms; reconnecting",
                   (Clock::now() - last_heard) / milliseconds(1));
      deliver(LinkReset{"the master went silent"});
      return heard ? Conversation::heard : Conversation::unanswered;
    }
  }
}

bool MasterLink::back_off(milliseconds pause) {
  spdlog::info("reconnecting to the master in {} s", static_cast<double>(pause.count()) / 1000.0);
  const Clock::time_point deadline = Clock::now() + pause;
  for (;;) {
    // What the group says meanwhile belongs to the lease that just died.
    const size_t dropped = take_outbound().size();
    if (dropped > 0) spdlog::debug("master unreachable: dropped {} messages", dropped);
    if (stopping()) return false;
    const milliseconds left = until(deadline);
    if (left.count() == 0) return true;
    std::vector<zmq::pollitem_t> items = {{nullptr, wake_fd_.get(), ZMQ_POLLIN, 0}};
    zmq::poll(items, left);
    drain_wake_fd();
  }
}

} // namespace h5io::worker
