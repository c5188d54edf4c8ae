#include "job_table.hpp"

#include <algorithm>
#include <iterator>

namespace h5io::cli {

namespace {

using nlohmann::json;

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

} // namespace

void JobTable::load(const proto::Snapshot& snapshot) {
  jobs_.clear();
  workers_.clear();
  for (const json& row : snapshot.jobs) jobs_[row.at("job").get<std::string>()] = row;
  for (const json& row : snapshot.workers) workers_[row.at("group").get<std::string>()] = row;
  time_ = snapshot.time;
}

void JobTable::apply(const proto::Event& event) {
  time_ = event.time;
  const auto* effect =
      std::find_if(std::begin(kJobEvents), std::end(kJobEvents),
                   [&](const JobEventEffect& e) { return event.topic == e.topic; });
  if (effect != std::end(kJobEvents)) {
    const std::string job = field<std::string>(event.fields, "job", "");
    if (job.empty()) return;
    json& row = jobs_[job];
    row.update(event.fields);
    row["job"] = job;
    if (effect->state) row["state"] = effect->state;
    // job.requeued names the group that lost the job: it has none now.
    if (effect->leaves_group) {
      row.erase("group");
      for (auto& [group, worker] : workers_)
        if (field<std::string>(worker, "job", "") == job) worker["job"] = nullptr;
    } else if (event.topic == proto::topic::job_started) {
      const auto worker = workers_.find(field<std::string>(row, "group", ""));
      if (worker != workers_.end()) worker->second["job"] = job;
    }
    if (event.topic == proto::topic::job_completed) row["done"] = row.value("total", json(0));
    // As a later snapshot would say: the live view lists the most recently
    // finished jobs, and events do not carry `finished` themselves.
    const bool ends = effect->state && effect->state != proto::state::queued &&
                      effect->state != proto::state::running;
    if (ends && !row.contains("finished")) row["finished"] = event.time;
    return;
  }
  const std::string group = field<std::string>(event.fields, "group", "");
  if (event.topic == proto::topic::worker_joined && !group.empty()) {
    json& worker = workers_[group];
    worker.update(event.fields);
    worker["last_seen"] = event.time;
  } else if (event.topic == proto::topic::worker_lost) {
    workers_.erase(group);
  }
}

const json* JobTable::find_job(const std::string& job) const {
  const auto it = jobs_.find(job);
  return it == jobs_.end() ? nullptr : &it->second;
}

} // namespace h5io::cli
