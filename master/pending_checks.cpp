#include "master/pending_checks.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace h5io::master {

uint64_t PendingChecks::start(const std::function<std::string()>& body,
                              std::chrono::milliseconds timeout, std::string what) {
  const Clock::time_point now = Clock::now();
  auto child = std::make_unique<ChildCheck>(body, now + timeout);
  const uint64_t id = next_id_++;
  running_.emplace(id, Running{std::move(child), std::move(what), timeout, now});
  return id;
}

void PendingChecks::add_poll_items(std::vector<zmq::pollitem_t>& items) const {
  for (const auto& [id, check] : running_)
    if (check.child->fd() >= 0) items.push_back({nullptr, check.child->fd(), ZMQ_POLLIN, 0});
  for (const auto& child : dying_)
    if (child->fd() >= 0) items.push_back({nullptr, child->fd(), ZMQ_POLLIN, 0});
}

std::optional<PendingChecks::Clock::time_point> PendingChecks::next_deadline() const {
  std::optional<Clock::time_point> next;
  for (const auto& [id, check] : running_)
    if (!next || check.child->deadline() < *next) next = check.child->deadline();
  return next;
}

std::vector<PendingChecks::Ended> PendingChecks::collect(Clock::time_point now) {
  std::vector<Ended> ended;
  for (auto it = running_.begin(); it != running_.end();) {
    Running& check = it->second;
    Ended result;
    result.id = it->first;
    result.took = now - check.started;
    if (check.child->progress()) {
      try {
        result.answer = check.child->answer(check.what);
      } catch (const Error& e) {
        result.error = e.what();
      }
    } else if (now >= check.child->deadline()) {
      check.child->kill();
      result.error = fmt::format("checking the job took longer than {:.0f} s: {} did not finish "
                                 "checking it (its h5io_init hung, or reading the input did); "
                                 "the check was stopped",
                                 std::chrono::duration<double>(check.timeout).count(), check.what);
      dying_.push_back(std::move(check.child));
    } else {
      ++it;
      continue;
    }
    ended.push_back(std::move(result));
    it = running_.erase(it);
  }
  // A killed child ends soon; until it is reaped it stays here, polled.
  std::erase_if(dying_, [](const std::unique_ptr<ChildCheck>& child) { return child->progress(); });
  return ended;
}

} // namespace h5io::master
