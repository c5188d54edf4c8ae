#include "job_table.hpp"

#include <algorithm>
#include <iterator>

namespace h5io::cli {

namespace {

// What a job event does to its row besides copying the event's fields: the
// state it puts the job in (nullptr: unchanged), and whether the job no
// longer has a group.
struct JobEventEffect {
  const char* topic;
  const char* state;
  bool leaves_group;
};

constexpr JobEventEffect kJobEvents[] = {
    {proto::topic::job_queued, proto::state::queued, true},
    {proto::topic::job_started, proto::state::running, false},
    {proto::topic::job_progress, nullptr, false},
    // The units go back to the queue until a group takes the job again.
    {proto::topic::job_requeued, proto::state::queued, true},
    {proto::topic::job_completed, proto::state::completed, true},
    {proto::topic::job_failed, proto::state::failed, true},
    {proto::topic::job_cancelled, proto::state::cancelled, true},
};

// Copies what a job event says into its row, as a later snapshot would
// show it.
void copy_fields(const proto::StatusEvent& body, proto::JobRow& row) {
  if (const auto* queued = std::get_if<proto::JobQueued>(&body)) {
    row.input = queued->input;
    row.output = queued->output;
    row.plugin = queued->plugin;
    row.priority = queued->priority;
    row.total = queued->total;
    if (queued->submitted_by) row.submitted_by = queued->submitted_by;
  } else if (const auto* started = std::get_if<proto::JobStarted>(&body)) {
    row.group = started->group;
  } else if (const auto* progress = std::get_if<proto::JobProgress>(&body)) {
    row.done = progress->done;
    row.total = progress->total;
    if (progress->reslice_units > 0) {
      row.reslice_done = progress->reslice_done;
      row.reslice_units = progress->reslice_units;
    }
  } else if (const auto* completed = std::get_if<proto::JobCompleted>(&body)) {
    row.output = completed->output;
    row.wall = completed->wall;
    row.done = row.total;
  } else if (const auto* failed = std::get_if<proto::JobFailed>(&body)) {
    row.error = failed->error;
  }
}

} // namespace

void JobTable::load(const proto::Snapshot& snapshot) {
  jobs_.clear();
  rates_.clear();
  workers_.clear();
  for (const proto::JobRow& row : snapshot.jobs) jobs_[row.job] = row;
  for (const proto::WorkerRow& row : snapshot.workers) workers_[row.group] = row;
  time_ = snapshot.time;
}

void JobTable::apply(const proto::Event& event) {
  time_ = event.time;
  if (const auto* joined = std::get_if<proto::WorkerJoined>(&event.body)) {
    proto::WorkerRow& worker = workers_[joined->group];
    worker.group = joined->group;
    worker.host = joined->host;
    worker.ranks = joined->ranks;
    worker.last_seen = event.time;
  } else if (const auto* lost = std::get_if<proto::WorkerLost>(&event.body)) {
    workers_.erase(lost->group);
  } else {
    apply_job_event(event);
  }
}

void JobTable::apply_job_event(const proto::Event& event) {
  const auto* effect =
      std::find_if(std::begin(kJobEvents), std::end(kJobEvents),
                   [&](const JobEventEffect& e) { return event.topic() == e.topic; });
  const std::string& job = proto::job_of(event.body);
  if (effect == std::end(kJobEvents) || job.empty()) return;
  proto::JobRow& row = jobs_[job];
  row.job = job;
  copy_fields(event.body, row);
  if (const auto* progress = std::get_if<proto::JobProgress>(&event.body))
    rates_[job] = JobRate{progress->rate, progress->eta};
  if (effect->state) row.state = effect->state;
  // job.requeued names the group that lost the job: it has none now.
  if (effect->leaves_group) {
    row.group.reset();
    for (auto& [group, worker] : workers_)
      if (worker.job == job) worker.job.reset();
  } else if (const auto* started = std::get_if<proto::JobStarted>(&event.body)) {
    const auto worker = workers_.find(started->group);
    if (worker != workers_.end()) worker->second.job = job;
  }
  // As a later snapshot would say: the live view lists the most recently
  // finished jobs, and events do not carry `finished` themselves.
  const bool ends = effect->state && effect->state != proto::state::queued &&
                    effect->state != proto::state::running;
  if (ends && !row.finished) row.finished = event.time;
}

const proto::JobRow* JobTable::find_job(const std::string& job) const {
  const auto it = jobs_.find(job);
  return it == jobs_.end() ? nullptr : &it->second;
}

const JobRate* JobTable::rate_of(const std::string& job) const {
  const auto it = rates_.find(job);
  return it == rates_.end() ? nullptr : &it->second;
}

} // namespace h5io::cli
