#pragma once
// The submission checks in flight, each a ChildCheck with its own deadline,
// at most `limit` at once. The event loop polls their pipes with its sockets
// and, every turn, collects the checks that ended: answered, failed, or past
// their deadline (killed, and reaped in later turns without waiting).

#include "master/child_check.hpp"

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace h5io::master {

class PendingChecks {
public:
  using Clock = ChildCheck::Clock;

  struct Ended {
    uint64_t id = 0;
    std::optional<std::string> answer; // the body's result, or none and
    std::string error;                 // why not
    Clock::duration took{};
  };

  explicit PendingChecks(size_t limit) : limit_(limit) {}

  size_t size() const { return running_.size(); }
  size_t limit() const { return limit_; }
  bool full() const { return running_.size() >= limit_; }

  // Starts `body` in a child with `timeout`; `what` names the library in
  // errors. Returns the check's id. Throws h5io::Error (fork failed).
  uint64_t start(const std::function<std::string()>& body, std::chrono::milliseconds timeout,
                 std::string what);
  // Adds every pipe still open (running and dying checks) to `items`.
  void add_poll_items(std::vector<zmq::pollitem_t>& items) const;
  // The earliest deadline of a running check, if any.
  std::optional<Clock::time_point> next_deadline() const;
  // Never blocks: reads the pipes, reaps, kills the late. The checks that
  // ended, in the order they were started.
  std::vector<Ended> collect(Clock::time_point now);

private:
  struct Running {
    std::unique_ptr<ChildCheck> child;
    std::string what;
    std::chrono::milliseconds timeout{};
    Clock::time_point started;
  };
  size_t limit_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Running> running_;
  // Killed after their deadline, not yet reaped.
  std::vector<std::unique_ptr<ChildCheck>> dying_;
};

} // namespace h5io::master
