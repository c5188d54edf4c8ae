#include "worker/leased_schedule.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

namespace h5io::worker {

namespace {

using std::chrono::milliseconds;

// How long rank 0 waits for the master per look, between checks of `stop`.
constexpr milliseconds kMasterPoll{50};

// A round as every rank receives it: [more, ending, n, (first, count,
// stage) per rank] as 64-bit integers, then the error text.
std::string encode_round(bool more, JobEnding ending, const std::vector<Unit>& units,
                         const std::string& error) {
  std::vector<int64_t> numbers = {more ? 1 : 0, static_cast<int64_t>(ending),
                                  static_cast<int64_t>(units.size())};
  for (const Unit& unit : units) {
    numbers.push_back(unit.first);
    numbers.push_back(unit.count);
    numbers.push_back(static_cast<int64_t>(unit.stage));
  }
  std::string text(numbers.size() * sizeof(int64_t), '\0');
  std::memcpy(text.data(), numbers.data(), text.size());
  return text + error;
}

int64_t number_at(const std::string& text, size_t index) {
  int64_t value = 0;
  std::memcpy(&value, text.data() + index * sizeof(int64_t), sizeof(value));
  return value;
}

} // namespace

const char* ending_name(JobEnding ending) {
  switch (ending) {
  case JobEnding::running: return "running";
  case JobEnding::finished: return "finished";
  case JobEnding::released: return "released";
  case JobEnding::link_lost: return "link lost";
  case JobEnding::stopping: return "stopping";
  }
  return "?";
}

LeasedSchedule::LeasedSchedule(const Group& group, const UnitPlan& plan, MasterChannel* channel,
                               Lease lease, const std::vector<proto::UnitRange>& first_units,
                               ScheduleSettings settings, const std::atomic<bool>& stop)
    : group_(group), plan_(plan), channel_(channel), lease_(std::move(lease)), settings_(settings),
      stop_(stop), last_report_(std::chrono::steady_clock::now()) {
  if (group_.is_root()) accept(first_units);
}

bool LeasedSchedule::next_round(std::optional<Unit>& mine) {
  std::string text;
  if (group_.is_root()) {
    const Round round = plan_round();
    last_round_more_ = round.more;
    text = encode_round(round.more, round.ending, round.units, round.error);
  }
  // The other ranks may wait here as long as rank 0 waits for the master.
  text = group_.broadcast_patiently(text, 0);
  const auto n = static_cast<size_t>(number_at(text, 2));
  const size_t header = (3 + 3 * n) * sizeof(int64_t);
  if (text.size() > header) throw Error(text.substr(header));
  ending_ = static_cast<JobEnding>(number_at(text, 1));
  mine.reset();
  const auto rank = static_cast<size_t>(group_.rank());
  if (rank < n && number_at(text, 4 + 3 * rank) > 0)
    mine = Unit{number_at(text, 3 + 3 * rank), number_at(text, 4 + 3 * rank),
                static_cast<UnitStage>(number_at(text, 5 + 3 * rank))};
  return number_at(text, 0) != 0;
}

LeasedSchedule::Round LeasedSchedule::plan_round() {
  Round round;
  try {
    while (std::optional<LinkEvent> event = channel_->next_event(milliseconds(0)))
      handle(std::move(*event));
    for (;;) {
      if (!error_.empty()) {
        round.error = error_;
        return round;
      }
      if (ending_ != JobEnding::running) {
        round.ending = ending_;
        return round;
      }
      if (stop_.load()) {
        ending_ = JobEnding::stopping;
        continue;
      }
      if (!queued_.empty() && !waits_for_reslicing()) {
        // One stage per round (the master leases process units only once
        // every reslice unit is done, so a round never meets both).
        const UnitStage stage = plan_.units[static_cast<size_t>(queued_.front())].stage;
        size_t take = 0;
        while (take < std::min(queued_.size(), static_cast<size_t>(group_.size())) &&
               plan_.units[static_cast<size_t>(queued_[take])].stage == stage)
          ++take;
        std::vector<int64_t> indices(queued_.begin(), queued_.begin() + static_cast<long>(take));
        queued_.erase(queued_.begin(), queued_.begin() + static_cast<long>(take));
        for (const int64_t index : indices) round.units.push_back(plan_.units[index]);
        in_flight_.push_back(std::move(indices));
        round.more = true;
        return round;
      }
      if (owes_reports()) {
        // Nothing to start, but units in flight: an empty round lets the
        // pipeline write them, and their reports earn the next lease.
        in_flight_.emplace_back();
        round.more = true;
        return round;
      }
      if (finish_received_) {
        ending_ = JobEnding::finished;
        continue;
      }
      if (std::optional<LinkEvent> event = channel_->next_event(kMasterPoll))
        handle(std::move(*event));
    }
  } catch (const std::exception& e) {
    round = Round{};
    round.error = e.what();
  }
  return round;
}

bool LeasedSchedule::may_write() {
  std::string verdict;
  if (group_.is_root()) {
    if (lease_vouched())
      verdict.push_back('1');
    else
      write_refused_ = true;
  }
  // The other ranks wait here while rank 0 waits for the master's answer.
  return !group_.broadcast_patiently(verdict, 0).empty();
}

bool LeasedSchedule::lease_lapsed() {
  std::string verdict;
  if (group_.is_root() &&
      (write_refused_ || ending_ == JobEnding::released || ending_ == JobEnding::link_lost))
    verdict.push_back('1');
  return !group_.broadcast(verdict, 0).empty();
}

bool LeasedSchedule::lease_vouched() {
  using Clock = std::chrono::steady_clock;
  // The margin covers the trip of the answer and the two clocks' rates.
  const Clock::duration window = lease_.group_timeout - lease_.group_timeout / 4;
  bool waited = false;
  try {
    for (;;) {
      while (std::optional<LinkEvent> event = channel_->next_event(milliseconds(0)))
        handle(std::move(*event));
      if (ending_ == JobEnding::released || ending_ == JobEnding::link_lost) {
        spdlog::warn("lease {}: not writing what this group computed: the lease has ended ({}), "
                     "so those units may be another group's now",
                     lease_.number, ending_name(ending_));
        return false;
      }
      const Clock::duration age = Clock::now() - channel_->confirmed();
      if (lease_.group_timeout.count() == 0 || age < window) {
        if (waited) spdlog::info("lease {}: the master answered; writing", lease_.number);
        return true;
      }
      if (stop_.load()) {
        ending_ = JobEnding::stopping;
        spdlog::warn("lease {}: stopping without writing the last round: the master has not "
                     "vouched for the lease lately",
                     lease_.number);
        return false;
      }
      if (!waited)
        spdlog::warn("lease {}: holding back a write: the master last answered this group {:.1f} "
                     "s ago and forgets a group after {:.1f} s; waiting for it to answer",
                     lease_.number, std::chrono::duration<double>(age).count(),
                     std::chrono::duration<double>(lease_.group_timeout).count());
      waited = true;
      if (std::optional<LinkEvent> event = channel_->next_event(kMasterPoll))
        handle(std::move(*event));
    }
  } catch (const std::exception& e) {
    spdlog::error("lease {}: not writing: {}", lease_.number, e.what());
    ending_ = JobEnding::link_lost;
    return false;
  }
}

void LeasedSchedule::handle(LinkEvent event) {
  if (const auto* reset = std::get_if<LinkReset>(&event)) {
    spdlog::warn("dropping the job: {}", reset->reason);
    ending_ = JobEnding::link_lost;
    return;
  }
  auto& message = std::get<proto::MasterMessage>(event);
  const auto ours = [this](const std::string& job, int64_t lease) {
    if (job == lease_.job && lease == lease_.number) return true;
    spdlog::info("ignoring a message for job {} lease {} (this group holds lease {})", job, lease,
                 lease_.number);
    return false;
  };
  if (auto* assign = std::get_if<proto::Assign>(&message)) {
    if (assign->job == lease_.job && assign->lease == lease_.number) return; // a repeat
    spdlog::warn("the master assigned job {} lease {}; dropping this job", assign->job,
                 assign->lease);
    ending_ = JobEnding::released;
    leftover_ = std::move(message);
  } else if (const auto* more = std::get_if<proto::MoreUnits>(&message)) {
    if (ours(more->job, more->lease)) accept(more->units);
  } else if (const auto* finish = std::get_if<proto::Finish>(&message)) {
    if (ours(finish->job, finish->lease)) finish_received_ = true;
  } else if (const auto* release = std::get_if<proto::Release>(&message)) {
    if (!ours(release->job, release->lease)) return;
    spdlog::info("released by the master: {}", release->reason);
    ending_ = JobEnding::released;
    job_ended_ = release->job_ended;
  }
}

void LeasedSchedule::accept(const std::vector<proto::UnitRange>& units) {
  const auto planned = static_cast<int64_t>(plan_.units.size());
  // Leased whether or not this group can do them: a `failed` must list them.
  std::vector<int64_t> fresh;
  for (const proto::UnitRange& unit : units)
    if (leased_.insert(unit.unit).second) fresh.push_back(unit.unit);
  for (const proto::UnitRange& unit : units) {
    if (unit.unit < 0 || unit.unit >= planned) {
      error_ = fmt::format("the master leased unit {} (slices {} to {}), but this group's plan "
                           "of the job has units 0 to {} ({} slices each)",
                           unit.unit, unit.first, unit.first + unit.count - 1, planned - 1,
                           plan_.slices_per_unit);
      return;
    }
    const Unit& mine = plan_.units[static_cast<size_t>(unit.unit)];
    if (mine.first != unit.first || mine.count != unit.count) {
      error_ = fmt::format("the master leased unit {} as slices {} to {}, but this group's "
                           "plan has it as slices {} to {} ({} slices per unit): the group and "
                           "the master disagree on the job's plan",
                           unit.unit, unit.first, unit.first + unit.count - 1, mine.first,
                           mine.first + mine.count - 1, plan_.slices_per_unit);
      return;
    }
    if (std::find(fresh.begin(), fresh.end(), unit.unit) != fresh.end())
      queued_.push_back(unit.unit);
  }
}

void LeasedSchedule::round_written(const std::function<void()>& flush_output, bool last) {
  bool report = false;
  if (group_.is_root()) {
    if (!in_flight_.empty()) {
      written_.insert(written_.end(), in_flight_.front().begin(), in_flight_.front().end());
      in_flight_.pop_front();
    }
    // A void lease earns nothing: the master refuses reports on it.
    const bool lease_holds = ending_ != JobEnding::released && ending_ != JobEnding::link_lost;
    const bool due = last || queued_.empty() ||
                     static_cast<int64_t>(written_.size()) >= std::max(1, settings_.credit / 2) ||
                     std::chrono::steady_clock::now() - last_report_ >= settings_.report_interval;
    report = lease_holds && due && !written_.empty();
  }
  // Every rank has just agreed on this round's errors: no long wait here.
  if (group_.broadcast(report ? "1" : "", 0).empty()) return;
  flush_output(); // `done` promises the data survive a crash
  if (!group_.is_root()) return;
  spdlog::debug("units {} written and flushed", fmt::join(written_, ", "));
  channel_->send(proto::UnitsDone{lease_.job, lease_.number, written_});
  for (const int64_t unit : written_) leased_.erase(unit);
  written_.clear();
  last_report_ = std::chrono::steady_clock::now();
}

bool LeasedSchedule::waits_for_reslicing() const {
  // A process unit reads what reslice units wrote: none may start while one
  // is still in flight (the pipeline writes a round one round later).
  if (plan_.units[static_cast<size_t>(queued_.front())].stage != UnitStage::process) return false;
  return std::any_of(in_flight_.begin(), in_flight_.end(),
                     [this](const std::vector<int64_t>& round) {
                       return std::any_of(round.begin(), round.end(), [this](int64_t index) {
                         return plan_.units[static_cast<size_t>(index)].stage == UnitStage::reslice;
                       });
                     });
}

bool LeasedSchedule::owes_reports() const {
  return !written_.empty() ||
         std::any_of(in_flight_.begin(), in_flight_.end(),
                     [](const std::vector<int64_t>& round) { return !round.empty(); });
}

std::vector<int64_t> LeasedSchedule::unfinished_units() const {
  return {leased_.begin(), leased_.end()};
}

std::vector<int64_t> LeasedSchedule::failed_units() const {
  // The pipeline computes round k while it writes round k-1 and, once
  // next_round(k+1) said "more", reads round k+1. So when a round fails,
  // the round being computed is the one before the last handed out, or the
  // last one when there was no next round (or nothing was computing yet).
  if (error_.empty() && !in_flight_.empty()) {
    const size_t computing =
        last_round_more_ && in_flight_.size() >= 2 ? in_flight_.size() - 2 : in_flight_.size() - 1;
    if (!in_flight_[computing].empty()) return in_flight_[computing];
    std::vector<int64_t> in_flight;
    for (const std::vector<int64_t>& round : in_flight_)
      in_flight.insert(in_flight.end(), round.begin(), round.end());
    if (!in_flight.empty()) return in_flight;
  }
  return unfinished_units();
}

std::optional<proto::MasterMessage> LeasedSchedule::take_leftover() {
  return std::exchange(leftover_, std::nullopt);
}

} // namespace h5io::worker
