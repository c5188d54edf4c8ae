#pragma once
// An in-memory MasterChannel for the worker's unit tests: the test plays the
// master by queueing events and reading what the group sent, and decides
// when the master last vouched for the lease (confirmed()).

#include "worker/master_channel.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

namespace h5io::worker::test {

class FakeChannel final : public MasterChannel {
public:
  using Clock = std::chrono::steady_clock;

  void send(proto::WorkerMessage message) override {
    sent.push_back(message);
    if (on_send) on_send(sent.back());
  }

  // Never sleeps: a wait the group would spend on the master is a call of
  // `on_wait` instead, where the test lets time "pass" (answers a probe,
  // sends a message, sets `stop`). A group that keeps waiting with nothing
  // changing would spin for ever, so after `max_waits` the channel reports
  // a lost link and the test fails.
  std::optional<LinkEvent> next_event(std::chrono::milliseconds wait) override {
    if (inbox.empty() && wait.count() > 0) {
      ++waits;
      if (on_wait) on_wait();
      if (inbox.empty() && waits > max_waits) {
        ADD_FAILURE() << "the group waited " << waits << " times for the master";
        return LinkEvent{LinkReset{"the test gave up waiting"}};
      }
    }
    if (inbox.empty()) return std::nullopt;
    LinkEvent event = std::move(inbox.front());
    inbox.pop_front();
    return event;
  }

  Clock::time_point confirmed() const override { return confirmed_at; }

  void push(proto::MasterMessage message) { inbox.emplace_back(std::move(message)); }
  void push_reset(std::string reason) { inbox.emplace_back(LinkReset{std::move(reason)}); }

  // Messages of one type the group sent, in order.
  template <class M> std::vector<M> sent_of() const {
    std::vector<M> found;
    for (const proto::WorkerMessage& message : sent)
      if (const auto* m = std::get_if<M>(&message)) found.push_back(*m);
    return found;
  }

  std::deque<LinkEvent> inbox;
  std::vector<proto::WorkerMessage> sent;
  // The master answered a probe sent just now: the lease is vouched for.
  Clock::time_point confirmed_at = Clock::now();
  std::function<void()> on_wait;
  std::function<void(const proto::WorkerMessage&)> on_send;
  int waits = 0;
  int max_waits = 1000;
};

} // namespace h5io::worker::test
