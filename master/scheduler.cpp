#include "master/scheduler.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace h5io::master {

namespace {

// "" (not known) as an absent field of an event or a snapshot row.
std::optional<std::string> unless_empty(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// The journal's record of an accepted job, as replay reads it.
nlohmann::json accepted_record(const Job& job) {
  nlohmann::json units = nlohmann::json::array();
  for (const UnitState& unit : job.units) units.push_back({unit.first, unit.count});
  const proto::SubmitRequest submit{job.request, job.client_ref, job.priority};
  nlohmann::json record = {{"rec", "accepted"},
                           {"job", job.id},
                           {"submit", nlohmann::json::parse(proto::encode(submit))},
                           {"unit_slices", job.unit_slices},
                           {"units", std::move(units)},
                           {"submitted", job.submitted}};
  if (!job.submitted_by.empty()) record["submitted_by"] = job.submitted_by;
  if (job.reslice_units > 0) {
    record["reslice_frames"] = job.reslice_frames;
    record["reslice_units"] = job.reslice_units;
  }
  return record;
}

nlohmann::json ended_record(const Job& job) {
  nlohmann::json record = {{"rec", "ended"},
                           {"job", job.id},
                           {"state", state_name(job.state)},
                           {"finished", job.finished}};
  if (!job.error.empty() && job.state != JobState::completed) record["error"] = job.error;
  return record;
}

// A journal field that may be absent.
std::string optional_text(const nlohmann::json& record, const char* key) {
  const auto it = record.find(key);
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

// ------------------------------------------------------------------ journal replay

void Scheduler::replay(const nlohmann::json& record) {
  const std::string kind = optional_text(record, "rec");
  if (kind == "start") {
    ++starts_;
  } else if (kind == "compacted") {
    // What the records a compaction left out had counted.
    starts_ += record.at("starts").get<int64_t>();
    next_job_ = std::max(next_job_, record.at("next_job").get<int64_t>());
  } else if (kind == "ref") {
    const std::string ref = record.at("client_ref").get<std::string>();
    const std::string id = record.at("job").get<std::string>();
    const double ended = record.value("ended", 0.0);
    if (ended <= 0) refs_without_end_ = true;
    client_refs_[ref] = ClientRef{id, ended};
    forgotten_refs_.push_back({ref, id});
  } else if (kind == "accepted") {
    Job job;
    job.id = record.at("job").get<std::string>();
    const auto submit =
        std::get<proto::SubmitRequest>(proto::parse_client_request(record.at("submit").dump()));
    job.request = submit.job;
    job.client_ref = submit.client_ref;
    job.priority = submit.priority;
    job.submitted_by = optional_text(record, "submitted_by");
    job.unit_slices = record.at("unit_slices").get<int64_t>();
    job.reslice_frames = record.value("reslice_frames", int64_t{0});
    job.reslice_units = record.value("reslice_units", int64_t{0});
    for (const auto& pair : record.at("units")) {
      UnitState unit;
      unit.first = pair.at(0).get<int64_t>();
      unit.count = pair.at(1).get<int64_t>();
      if (!job.is_reslice_unit(static_cast<int64_t>(job.units.size())))
        job.total_slices += unit.count;
      job.units.push_back(unit);
    }
    job.submitted = record.at("submitted").get<double>();
    job.order = next_order_++;
    if (job.client_ref) client_refs_[*job.client_ref] = ClientRef{job.id, 0};
    next_job_ = std::max<int64_t>(next_job_, std::stoll(job.id.substr(1)) + 1);
    jobs_[job.id] = std::move(job);
  } else if (kind == "done") {
    Job* target = job(record.at("job").get<std::string>());
    if (target == nullptr) return;
    for (const auto& index : record.at("units")) {
      const auto i = index.get<size_t>();
      if (i >= target->units.size() || target->units[i].status == UnitStatus::done) continue;
      target->units[i].status = UnitStatus::done;
      target->count_done(static_cast<int64_t>(i));
    }
  } else if (kind == "ended") {
    Job* target = job(record.at("job").get<std::string>());
    if (target == nullptr) return;
    const std::string state = record.at("state").get<std::string>();
    const std::optional<JobState> known = parse_job_state(state);
    if (!known || !(*known == JobState::completed || *known == JobState::failed ||
                    *known == JobState::cancelled))
      throw Error(fmt::format("journal: job {} ended in state '{}', which is not an end",
                              target->id, state));
    target->state = *known;
    target->error = optional_text(record, "error");
    target->finished = record.value("finished", 0.0);
    target->pending.clear();
    finished_order_.push_back(target->id);
    // As the jobs end, not all at the end: a journal of years holds far more
    // jobs than the table keeps, and later records of a forgotten job are
    // ignored anyway.
    forget_old_jobs();
  } else {
    spdlog::warn("journal: ignoring a record of unknown kind '{}'", kind);
  }
}

std::vector<nlohmann::json> Scheduler::journal_records() const {
  std::vector<nlohmann::json> records;
  records.push_back({{"rec", "compacted"}, {"starts", starts_}, {"next_job", next_job_}});
  // In the order they wait to expire, so that replay rebuilds that order.
  for (const ForgottenRef& forgotten : forgotten_refs_) {
    const auto it = client_refs_.find(forgotten.ref);
    if (it == client_refs_.end() || it->second.job != forgotten.job) continue;
    nlohmann::json record = {{"rec", "ref"}, {"client_ref", forgotten.ref}, {"job", forgotten.job}};
    if (it->second.ended > 0) record["ended"] = it->second.ended;
    records.push_back(std::move(record));
  }
  std::vector<const Job*> held;
  for (const auto& [id, job] : jobs_) held.push_back(&job);
  std::sort(held.begin(), held.end(),
            [](const Job* a, const Job* b) { return a->order < b->order; });
  for (const Job* job : held) {
    records.push_back(accepted_record(*job));
    nlohmann::json done = nlohmann::json::array();
    for (size_t i = 0; i < job->units.size(); ++i)
      if (job->units[i].status == UnitStatus::done) done.push_back(i);
    if (!done.empty()) records.push_back({{"rec", "done"}, {"job", job->id}, {"units", done}});
  }
  // In the order the jobs ended: the order in which they are forgotten.
  for (const std::string& id : finished_order_) records.push_back(ended_record(jobs_.at(id)));
  return records;
}

int Scheduler::resume_after_replay() {
  // Lease numbers of this run never collide with a previous run's.
  next_lease_ = (starts_ + 1) << 32;
  int resumed = 0;
  for (auto& [id, job] : jobs_) {
    if (job.ended()) continue;
    job.state = JobState::queued;
    job.resumed = true;
    job.pending.clear();
    for (size_t i = 0; i < job.units.size(); ++i)
      if (job.units[i].status != UnitStatus::done) {
        job.units[i].status = UnitStatus::pending;
        job.pending.push_back(static_cast<int64_t>(i));
      }
    ++resumed;
  }
  forget_old_jobs();
  return resumed;
}

// ------------------------------------------------------------------ clients

Job* Scheduler::job(const std::string& id) {
  const auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

std::optional<std::string> Scheduler::job_for_client_ref(const std::string& ref) const {
  const auto it = client_refs_.find(ref);
  if (it == client_refs_.end()) return std::nullopt;
  return it->second.job;
}

size_t Scheduler::expire_client_refs(double wall) {
  if (refs_without_end_) {
    // Their end is unknown: their horizon starts now, and the order of
    // expiry is by end again.
    refs_without_end_ = false;
    for (const ForgottenRef& forgotten : forgotten_refs_)
      if (auto it = client_refs_.find(forgotten.ref);
          it != client_refs_.end() && it->second.ended <= 0)
        it->second.ended = wall;
    std::stable_sort(
        forgotten_refs_.begin(), forgotten_refs_.end(),
        [this](const ForgottenRef& a, const ForgottenRef& b) { return ended_of(a) < ended_of(b); });
  }
  size_t expired = 0;
  while (!forgotten_refs_.empty()) {
    const ForgottenRef& oldest = forgotten_refs_.front();
    const auto it = client_refs_.find(oldest.ref);
    // Gone, or the ref names a newer job (submitted again after expiry).
    if (it != client_refs_.end() && it->second.job == oldest.job) {
      if (it->second.ended + settings_.client_ref_horizon_s > wall) break;
      client_refs_.erase(it);
      ++expired;
    }
    forgotten_refs_.pop_front();
  }
  return expired;
}

double Scheduler::ended_of(const ForgottenRef& forgotten) const {
  const auto it = client_refs_.find(forgotten.ref);
  return it == client_refs_.end() || it->second.job != forgotten.job ? 0.0 : it->second.ended;
}

const Job* Scheduler::writer_of(const std::string& output) const {
  for (const auto& [id, job] : jobs_)
    if (!job.ended() && job.request.output == output) return &job;
  return nullptr;
}

std::string Scheduler::accept(const proto::SubmitRequest& request, int64_t unit_slices,
                              const std::vector<std::pair<int64_t, int64_t>>& units, double now,
                              Outbox& out, const std::string& submitted_by,
                              const ReslicePlan& reslice) {
  Job job;
  job.id = fmt::format("j{:06d}", next_job_++);
  job.request = request.job;
  job.client_ref = request.client_ref;
  job.priority = request.priority;
  job.submitted_by = submitted_by;
  job.order = next_order_++;
  job.unit_slices = unit_slices;
  job.reslice_frames = reslice.frames;
  job.reslice_units = reslice.units;
  job.submitted = now;
  for (const auto& [first, count] : units) {
    const auto index = static_cast<int64_t>(job.units.size());
    job.pending.push_back(index);
    job.units.push_back(UnitState{first, count, UnitStatus::pending, 0});
    if (!job.is_reslice_unit(index)) job.total_slices += count;
  }
  out.journal.push_back(accepted_record(job));
  out.event(proto::JobQueued{job.id, job.request.input, job.request.output,
                             proto::job_title(job.request), job.priority, job.total_slices,
                             unless_empty(job.submitted_by)});
  spdlog::info("[{}] accepted{}: {} over {} -> {} ({} slices in {} units{}, priority {})", job.id,
               job.submitted_by.empty() ? "" : " from " + job.submitted_by,
               proto::job_title(job.request), job.request.input, job.request.output,
               job.total_slices, job.units.size() - static_cast<size_t>(job.reslice_units),
               job.reslice_units == 0 ? std::string()
                                      : fmt::format(", after {} units resliced", job.reslice_units),
               job.priority);
  if (job.client_ref) client_refs_[*job.client_ref] = ClientRef{job.id, 0};
  const std::string id = job.id;
  jobs_[id] = std::move(job);
  return id;
}

std::string Scheduler::cancel(const std::string& id, double now, Outbox& out) {
  Job* target = job(id);
  if (target == nullptr) return fmt::format("there is no job '{}'", id);
  if (target->ended())
    return fmt::format("job {} has already ended ({})", id, state_name(target->state));
  // Once every unit is durably written the output is complete and being
  // given its final name: a cancel now would race that rename.
  if (target->all_done())
    return fmt::format("job {} can no longer be cancelled: every slice is written and its output "
                       "is being finished; delete '{}' once it completes if it is not wanted",
                       id, target->request.output);
  spdlog::info("[{}] cancelled by a client", id);
  end_job(*target, JobState::cancelled, now, out);
  return "";
}

// ------------------------------------------------------------------ worker groups

void Scheduler::new_group(const std::string& id, const proto::Ready& ready, Clock::time_point now,
                          Outbox& out) {
  ConnectedGroup group;
  group.id = id;
  group.name = ready.group;
  group.instance = ready.instance;
  group.host = ready.host;
  group.ranks = ready.ranks;
  group.credit = std::max(1, ready.credit);
  const Clock::duration theirs = std::chrono::milliseconds(ready.heartbeat_ms);
  group.heartbeat =
      ready.heartbeat_ms > 0 ? std::min(theirs, settings_.heartbeat) : settings_.heartbeat;
  group.silence_limit = std::max(theirs, settings_.heartbeat) * settings_.heartbeat_liveness;
  group.last_heard = now;
  group.last_sent = now;
  groups_[id] = std::move(group);
  out.event(proto::WorkerJoined{ready.group, ready.host, ready.ranks});
  spdlog::info("group {} joined: {} rank{} on {}, credit {}", ready.group, ready.ranks,
               ready.ranks == 1 ? "" : "s", ready.host, ready.credit);
}

Lease* Scheduler::named_lease(const ConnectedGroup& group, const std::string& job, int64_t number) {
  Lease* lease = lease_of_group(group.id);
  if (lease != nullptr && lease->job == job && lease->number == number) return lease;
  spdlog::warn(
      "[{}] group {}: refusing a message for lease {}: it holds {}", job, group.name, number,
      lease == nullptr ? "no lease" : fmt::format("{} lease {}", lease->job, lease->number));
  return nullptr;
}

Lease& Scheduler::grant_lease(const ConnectedGroup& group, Job& job, Clock::time_point now) {
  Lease& lease = leases_[job.id];
  lease = Lease{group.id, job.id, next_lease_++, {}, now, false};
  return lease;
}

void Scheduler::close_lease(const std::string& job) {
  leases_.erase(job);
}

Lease* Scheduler::lease_of_group(const std::string& group) {
  for (auto& [job, lease] : leases_)
    if (lease.group == group) return &lease;
  return nullptr;
}

const Lease* Scheduler::lease_of_group(const std::string& group) const {
  for (const auto& [job, lease] : leases_)
    if (lease.group == group) return &lease;
  return nullptr;
}

void Scheduler::on_worker(const std::string& id, const proto::WorkerMessage& message,
                          Clock::time_point now, double wall, Outbox& out) {
  if (const auto* ready = std::get_if<proto::Ready>(&message)) {
    if (groups_.contains(id)) lose_group(id, "it rejoined (its state was reset)", false, wall, out);
    // The same process on a new connection (its link gave up on a silent
    // master and reconnected): the old connection is dead, so the group it
    // names goes, uncharged, before it can be leased a job nobody hears.
    if (!ready->instance.empty()) {
      std::vector<std::string> stale;
      for (const auto& [other, group] : groups_)
        if (other != id && group.instance == ready->instance) stale.push_back(other);
      for (const std::string& other : stale)
        lose_group(other, "it reconnected on a new connection", false, wall, out);
    }
    new_group(id, *ready, now, out);
    return;
  }
  const auto it = groups_.find(id);
  if (it == groups_.end()) {
    // Majordomo: a peer we do not know (we restarted, or we declared it lost)
    // is told to register again.
    if (!std::holds_alternative<proto::Disconnect>(message)) out.send(id, proto::Disconnect{});
    return;
  }
  ConnectedGroup& group = it->second;
  group.last_heard = now;
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, proto::UnitsDone>) {
          if (Lease* lease = named_lease(group, m.job, m.lease))
            units_done(*lease, jobs_.at(m.job), m.units, now, out);
        } else if constexpr (std::is_same_v<M, proto::UnitsFailed>) {
          if (Lease* lease = named_lease(group, m.job, m.lease))
            units_failed(*lease, jobs_.at(m.job), m.units, m.error, wall, out);
        } else if constexpr (std::is_same_v<M, proto::JobFinished>) {
          if (Lease* lease = named_lease(group, m.job, m.lease))
            job_finished(*lease, jobs_.at(m.job), wall, out);
        } else if constexpr (std::is_same_v<M, proto::Disconnect>) {
          lose_group(id, "it disconnected", false, wall, out);
        } else if constexpr (std::is_same_v<M, proto::Heartbeat>) {
          // The answer tells the group its lease still stands (fencing).
          if (m.probe) send(group, proto::Heartbeat{m.probe}, now, out);
        }
      },
      message);
}

void Scheduler::units_done(Lease& lease, Job& job, const std::vector<int64_t>& units,
                           Clock::time_point now, Outbox& out) {
  nlohmann::json durable = nlohmann::json::array();
  for (const int64_t index : units) {
    if (lease.units.erase(index) == 0) {
      spdlog::warn("[{}] group {} reported unit {} done, which it was not leased", job.id,
                   groups_.at(lease.group).name, index);
      continue;
    }
    UnitState& unit = job.units[static_cast<size_t>(index)];
    unit.status = UnitStatus::done;
    job.count_done(index);
    durable.push_back(index);
    ++counters_.units_done;
  }
  if (durable.empty()) return;
  lease.progress = now;
  out.journal.push_back({{"rec", "done"}, {"job", job.id}, {"units", std::move(durable)}});
  publish_progress(job, now, job.all_done(), out);
}

void Scheduler::units_failed(Lease& lease, Job& job, const std::vector<int64_t>& units,
                             const std::string& error, double wall, Outbox& out) {
  spdlog::warn("[{}] group {} failed: {}", job.id, groups_.at(lease.group).name, error);
  const std::set<int64_t> charged(units.begin(), units.end());
  job.error = error;
  end_lease(lease, "the group failed: " + error, &charged, wall, out);
}

void Scheduler::job_finished(Lease& lease, Job& job, double wall, Outbox& out) {
  if (!job.all_done()) {
    spdlog::warn("[{}] group {} finished the job before all units were done; ignored", job.id,
                 groups_.at(lease.group).name);
    return;
  }
  close_lease(job.id);
  end_job(job, JobState::completed, wall, out);
}

void Scheduler::end_lease(Lease& lease, const std::string& reason, const std::set<int64_t>* charged,
                          double wall, Outbox& out) {
  Job& job = jobs_.at(lease.job);
  const std::string group = groups_.at(lease.group).name;
  const std::set<int64_t> leased = std::move(lease.units);
  close_lease(job.id); // `lease` is gone from here on
  // Units that failed together (a round of a group) are charged together;
  // the library's error text names the slice that actually failed.
  std::vector<std::string> quarantined;
  // Back to the front of the queue, in order, so the job's next group starts
  // where this one stopped.
  for (auto it = leased.rbegin(); it != leased.rend(); ++it) {
    UnitState& unit = job.units[static_cast<size_t>(*it)];
    unit.status = UnitStatus::pending;
    const bool charge = charged != nullptr && charged->contains(*it);
    if (charge) ++counters_.units_failed;
    if (charge && ++unit.attempts >= settings_.max_attempts) {
      unit.status = UnitStatus::quarantined;
      quarantined.insert(quarantined.begin(),
                         fmt::format("{} ({} {} to {})", *it,
                                     job.is_reslice_unit(*it) ? "reslicing frames" : "slices",
                                     unit.first, unit.first + unit.count - 1));
      continue;
    }
    job.pending.push_front(*it);
    ++counters_.units_requeued;
  }
  if (!quarantined.empty()) {
    const std::string error = fmt::format(
        "unit{} {} failed {} times and {} quarantined; last error: {}",
        quarantined.size() == 1 ? "" : "s", fmt::join(quarantined, ", "), settings_.max_attempts,
        quarantined.size() == 1 ? "is" : "are", job.error.empty() ? reason : job.error);
    spdlog::error("[{}] {}", job.id, error);
    fail_job(job, error, wall, out);
    return;
  }
  job.state = JobState::queued;
  out.event(proto::JobRequeued{job.id, group, reason});
  spdlog::info("[{}] back in the queue: group {} lost its lease ({})", job.id, group, reason);
}

void Scheduler::lose_group(const std::string& id, const std::string& reason, bool charge,
                           double wall, Outbox& out) {
  const auto it = groups_.find(id);
  if (it == groups_.end()) return;
  ConnectedGroup& group = it->second;
  if (Lease* lease = lease_of_group(id)) {
    const std::string why = "group " + group.name + " lost: " + reason;
    // A library that kills its process (SIGSEGV on one slice) takes the
    // group with it and never reports `failed`. Without a charge here the
    // restarted group would take the same units and die again, forever; with
    // it, the units it held are quarantined after max_attempts losses. An
    // innocent loss (kill -9, a node reboot) costs its units one attempt.
    const std::set<int64_t> charged = lease->units;
    if (charge) jobs_.at(lease->job).error = why;
    end_lease(*lease, why, charge ? &charged : nullptr, wall, out);
  }
  if (charge) ++counters_.groups_lost;
  out.event(proto::WorkerLost{group.name, reason});
  spdlog::warn("group {} lost: {}", group.name, reason);
  groups_.erase(it);
}

void Scheduler::fail_job(Job& job, const std::string& error, double wall, Outbox& out) {
  job.error = error;
  end_job(job, JobState::failed, wall, out);
}

void Scheduler::end_job(Job& job, JobState state, double wall, Outbox& out) {
  if (const auto it = leases_.find(job.id); it != leases_.end()) {
    // The holder must stop writing: tell it, and refuse its lease from now on.
    out.send(it->second.group, proto::Release{job.id, it->second.number,
                                              fmt::format("job {}", state_name(state)), true});
    close_lease(job.id);
  }
  job.state = state;
  job.finished = wall;
  job.pending.clear();
  out.journal.push_back(ended_record(job));
  if (job.state == JobState::completed) {
    ++counters_.jobs_completed[proto::job_title(job.request)];
    out.event(proto::JobCompleted{job.id, job.request.output, wall - job.submitted});
    spdlog::info("[{}] completed in {:.2f} s: {}", job.id, wall - job.submitted,
                 job.request.output);
  } else if (job.state == JobState::failed) {
    ++counters_.jobs_failed[proto::job_title(job.request)];
    out.event(proto::JobFailed{job.id, job.error});
    out.discard.push_back(job.request.output);
    spdlog::error("[{}] failed: {}", job.id, job.error);
  } else {
    out.event(proto::JobCancelled{job.id});
    out.discard.push_back(job.request.output);
  }
  finished_order_.push_back(job.id);
  forget_old_jobs();
}

void Scheduler::forget_old_jobs() {
  while (finished_order_.size() > settings_.keep_finished_jobs) {
    const auto it = jobs_.find(finished_order_.front());
    finished_order_.pop_front();
    if (it == jobs_.end()) continue;
    // Its client_ref keeps answering for it until the horizon has passed.
    if (const auto& ref = it->second.client_ref) {
      const auto found = client_refs_.find(*ref);
      if (found != client_refs_.end() && found->second.job == it->first) {
        found->second.ended = it->second.finished;
        if (found->second.ended <= 0) refs_without_end_ = true; // an old journal's end
        forgotten_refs_.push_back({*ref, it->first});
      }
    }
    jobs_.erase(it);
  }
}

// ------------------------------------------------------------------ time and dispatch

void Scheduler::send(ConnectedGroup& group, proto::MasterMessage message, Clock::time_point now,
                     Outbox& out) {
  group.last_sent = now;
  out.send(group.id, std::move(message));
}

void Scheduler::tick(Clock::time_point now, double wall, Outbox& out) {
  expire_client_refs(wall);
  std::vector<std::string> lost;
  for (auto& [id, group] : groups_) {
    if (now - group.last_heard > group.silence_limit) {
      lost.push_back(id);
      continue;
    }
    if (Lease* lease = lease_of_group(id); lease && now - lease->progress > settings_.lease) {
      const std::string reason =
          fmt::format("lease expired: no unit completed within {:.0f} s", seconds(settings_.lease));
      send(group, proto::Release{lease->job, lease->number, reason}, now, out);
      const std::set<int64_t> charged = lease->units;
      jobs_.at(lease->job).error = reason;
      end_lease(*lease, reason, &charged, wall, out);
    }
    if (now - group.last_sent >= group.heartbeat) send(group, proto::Heartbeat{}, now, out);
  }
  for (const std::string& id : lost)
    lose_group(id,
               fmt::format("no heartbeat for {:.1f} s", seconds(now - groups_.at(id).last_heard)),
               true, wall, out);
}

void Scheduler::excuse_silence(Clock::duration stall, Clock::time_point now) {
  for (auto& [id, group] : groups_) group.last_heard = std::min(group.last_heard + stall, now);
  for (auto& [job, lease] : leases_) lease.progress = std::min(lease.progress + stall, now);
}

void Scheduler::lease_units(Lease& lease, const ConnectedGroup& group, Job& job,
                            Clock::time_point now, Outbox& out, bool assign) {
  std::vector<proto::UnitRange> units;
  while (static_cast<int>(lease.units.size()) < group.credit && !job.pending.empty() &&
         job.may_lease(job.pending.front())) {
    const int64_t index = job.pending.front();
    job.pending.pop_front();
    UnitState& unit = job.units[static_cast<size_t>(index)];
    unit.status = UnitStatus::leased;
    lease.units.insert(index);
    units.push_back(proto::UnitRange{index, unit.first, unit.count});
  }
  if (assign) {
    proto::Assign message;
    message.job = job.id;
    message.lease = lease.number;
    message.request = job.request;
    message.unit_slices = job.unit_slices;
    message.reslice_frames = job.reslice_frames;
    message.resume = job.units_done > 0;
    message.units = std::move(units);
    message.group_timeout_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(group.silence_limit).count();
    send(groups_.at(lease.group), std::move(message), now, out);
  } else if (!units.empty()) {
    send(groups_.at(lease.group), proto::MoreUnits{job.id, lease.number, std::move(units)}, now,
         out);
  }
}

void Scheduler::dispatch(Clock::time_point now, double wall, Outbox& out) {
  // Groups holding a lease: top up, or tell them to finish.
  for (auto& [id, lease] : leases_) {
    Job& job = jobs_.at(id);
    ConnectedGroup& group = groups_.at(lease.group);
    if (job.all_done() && lease.units.empty()) {
      if (!lease.finish_sent) {
        send(group, proto::Finish{job.id, lease.number}, now, out);
        lease.finish_sent = true;
      }
    } else {
      lease_units(lease, group, job, now, out, false);
    }
  }
  // Idle groups take the best waiting job: priority, then submission order.
  std::vector<Job*> waiting;
  for (auto& [id, job] : jobs_)
    if (!job.ended() && !leases_.contains(id) && (job.has_pending() || job.all_done()) &&
        !(job.resumed && now < resume_hold_))
      waiting.push_back(&job);
  std::sort(waiting.begin(), waiting.end(), [](const Job* a, const Job* b) {
    return a->priority != b->priority ? a->priority > b->priority : a->order < b->order;
  });
  auto next = waiting.begin();
  for (auto& [id, group] : groups_) {
    if (next == waiting.end()) break;
    if (lease_of_group(id) != nullptr) continue;
    Job& job = **next++;
    Lease& lease = grant_lease(group, job, now);
    job.state = JobState::running;
    if (job.started == 0) job.started = wall;
    job.rate_since = now;
    job.rate_base = job.slices_done;
    out.event(proto::JobStarted{job.id, group.name});
    spdlog::info("[{}] leased to group {} (lease {}, {} of {} units done)", job.id, group.name,
                 lease.number, job.units_done, job.units.size());
    lease_units(lease, group, job, now, out, true);
    if (job.all_done()) {
      send(group, proto::Finish{job.id, lease.number}, now, out);
      lease.finish_sent = true;
    }
  }
}

void Scheduler::publish_progress(Job& job, Clock::time_point now, bool force, Outbox& out) {
  if (!force && now - job.progress_published < settings_.progress_interval) return;
  job.progress_published = now;
  const double elapsed = seconds(now - job.rate_since);
  const double rate =
      elapsed > 0 ? static_cast<double>(job.slices_done - job.rate_base) / elapsed : 0.0;
  proto::JobProgress progress{job.id, job.slices_done, job.total_slices, rate};
  if (rate > 0) progress.eta = static_cast<double>(job.total_slices - job.slices_done) / rate;
  progress.reslice_done = job.reslice_done;
  progress.reslice_units = job.reslice_units;
  out.event(std::move(progress));
}

// ------------------------------------------------------------------ status

std::vector<proto::JobRow> Scheduler::job_rows() const {
  std::vector<proto::JobRow> rows;
  rows.reserve(jobs_.size());
  for (const auto& [id, job] : jobs_) {
    proto::JobRow& row = rows.emplace_back();
    row.job = id;
    row.state = state_name(job.state);
    row.input = job.request.input;
    row.output = job.request.output;
    row.plugin = proto::job_title(job.request);
    row.priority = job.priority;
    row.done = job.slices_done;
    row.total = job.total_slices;
    row.units_done = job.units_done;
    row.units_total = static_cast<int64_t>(job.units.size());
    row.reslice_units = job.reslice_units;
    row.reslice_done = job.reslice_done;
    row.submitted = job.submitted;
    row.client_ref = job.client_ref;
    row.submitted_by = unless_empty(job.submitted_by);
    if (job.started > 0) row.started = job.started;
    if (const auto lease = leases_.find(id); lease != leases_.end())
      row.group = groups_.at(lease->second.group).name;
    if (job.ended()) {
      row.finished = job.finished;
      row.wall = job.finished - job.submitted;
      if (job.state == JobState::failed) row.error = job.error;
    }
  }
  return rows;
}

std::vector<proto::WorkerRow> Scheduler::worker_rows(double wall, Clock::time_point now) const {
  std::vector<proto::WorkerRow> rows;
  rows.reserve(groups_.size());
  for (const auto& [id, group] : groups_) {
    const Lease* lease = lease_of_group(id);
    proto::WorkerRow& row = rows.emplace_back();
    row.group = group.name;
    row.host = group.host;
    row.ranks = group.ranks;
    row.units_leased = lease != nullptr ? static_cast<int64_t>(lease->units.size()) : 0;
    row.last_seen = wall - seconds(now - group.last_heard);
    if (lease != nullptr) row.job = lease->job;
  }
  return rows;
}

int Scheduler::jobs_in(JobState state) const {
  return static_cast<int>(std::count_if(
      jobs_.begin(), jobs_.end(), [&](const auto& entry) { return entry.second.state == state; }));
}

std::map<std::string, int> Scheduler::jobs_by_state() const {
  std::map<std::string, int> counts;
  for (const JobState state : kJobStates) counts[state_name(state)] = 0;
  for (const auto& [id, job] : jobs_) ++counts[state_name(job.state)];
  return counts;
}

int64_t Scheduler::ranks() const {
  int64_t total = 0;
  for (const auto& [id, group] : groups_) total += group.ranks;
  return total;
}

} // namespace h5io::master
