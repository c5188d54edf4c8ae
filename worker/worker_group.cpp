#include "worker/worker_group.hpp"

#include "worker/job_spec.hpp"
#include "worker/leased_schedule.hpp"

#include "common/pipeline/pipeline.hpp"
#include "common/util/job_log.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <string>

namespace h5io::worker {

namespace {

// How often an idle rank 0 looks at `stop` while waiting for the master.
constexpr std::chrono::milliseconds kIdlePoll{100};

std::vector<int64_t> unit_indices(const std::vector<proto::UnitRange>& units) {
  std::vector<int64_t> indices;
  for (const proto::UnitRange& unit : units) indices.push_back(unit.unit);
  return indices;
}

} // namespace

WorkerGroup::WorkerGroup(const Group& group, MasterChannel* channel, GroupSettings settings,
                         const std::atomic<bool>& stop)
    : group_(group), channel_(channel), settings_(std::move(settings)), stop_(stop) {}

void WorkerGroup::serve() {
  while (const std::optional<proto::Assign> assign = next_assignment()) run_job(*assign);
  if (group_.is_root()) {
    spdlog::info("stopping: leaving the master");
    channel_->send(proto::Disconnect{});
  }
}

std::optional<proto::Assign> WorkerGroup::next_assignment() {
  std::string text; // the assignment as the master sent it; empty: stop
  while (group_.is_root() && !stop_.load()) {
    std::optional<LinkEvent> event;
    if (leftover_)
      event = std::exchange(leftover_, std::nullopt);
    else
      event = channel_->next_event(kIdlePoll);
    if (!event) continue;
    const auto* message = std::get_if<proto::MasterMessage>(&*event);
    if (message == nullptr) continue; // a reset while idle: nothing held, nothing lost
    if (std::holds_alternative<proto::Assign>(*message)) {
      text = proto::encode(*message);
      break;
    }
    // Stragglers of a job this group has dropped: their lease is gone.
    spdlog::debug("ignoring a master message for a job this group no longer holds");
  }
  // Idle ranks wait here, possibly for hours: patiently, not spinning.
  text = group_.broadcast_patiently(text, 0);
  if (text.empty()) return std::nullopt;
  return std::get<proto::Assign>(proto::parse_master_message(text));
}

void WorkerGroup::run_job(const proto::Assign& assign) {
  // Every line until this job ends, the pipeline's included, says which job.
  const log::JobLogScope job_scope(assign.job);
  const bool root = group_.is_root();
  if (root)
    spdlog::info("lease {}: '{}' on '{}' -> '{}', {} units leased{}", assign.lease,
                 proto::job_title(assign.request), assign.request.input, assign.request.output,
                 assign.units.size(), assign.resume ? ", resuming its partial output" : "");
  std::optional<Pipeline> pipeline;
  std::optional<LeasedSchedule> schedule;
  try {
    JobSpec spec;
    collectively(group_, [&] { spec = job_spec_for(assign, settings_.plugin_dirs); });
    pipeline.emplace(group_, std::move(spec));
    const Lease lease{assign.job, assign.lease, std::chrono::milliseconds(assign.group_timeout_ms)};
    schedule.emplace(group_, pipeline->plan(), channel_, lease, assign.units,
                     ScheduleSettings{settings_.credit, {}}, stop_);
    pipeline->run(*schedule);
    // Finishing writes too (provenance, the rename): only under a live lease.
    if (schedule->ending() == JobEnding::finished && schedule->may_write()) {
      const JobReport report = pipeline->finish();
      if (root) {
        channel_->send(proto::JobFinished{assign.job, assign.lease});
        spdlog::info("finished: {} slices, {:.1f} s on this group, output '{}'", report.slices,
                     report.seconds, report.output.string());
      }
    } else {
      if (schedule->lease_lapsed()) pipeline->disown_output();
      pipeline->release();
      if (root && schedule->job_ended()) {
        // The master deleted the partial file when the job ended, but this
        // group may have created it after that: it is this group's to delete.
        pipeline->delete_partial();
        spdlog::info("dropped ({}); the job has ended, so its partial output is deleted",
                     ending_name(schedule->ending()));
      } else if (root) {
        spdlog::info("dropped ({}); its partial output is kept", ending_name(schedule->ending()));
      }
    }
  } catch (const std::exception& e) {
    // Errors are agreed before they are thrown: every rank is here.
    if (root) spdlog::error("failed: {}", e.what());
    if (pipeline) {
      try {
        if (schedule && schedule->lease_lapsed()) pipeline->disown_output();
        pipeline->release();
      } catch (const std::exception& again) {
        if (root) spdlog::error("closing after the failure failed too: {}", again.what());
      }
    }
    // A lease that died with the link is the master's to re-queue.
    const bool lease_void = schedule && schedule->ending() == JobEnding::link_lost;
    if (root && !lease_void)
      channel_->send(proto::UnitsFailed{
          assign.job, assign.lease,
          schedule ? schedule->failed_units() : unit_indices(assign.units), e.what()});
  }
  if (root && schedule) leftover_ = schedule->take_leftover();
}

} // namespace h5io::worker
