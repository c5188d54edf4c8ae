#pragma once
// What a client knows of the master's jobs and worker groups: loaded from a
// snapshot, kept current by status events. Rows are the snapshot's JSON
// objects (PROTOCOL.md), so fields a later master adds are shown as sent.

#include "proto/messages.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace h5io::cli {

class JobTable {
public:
  void load(const proto::Snapshot& snapshot);
  // Updates the rows an event is about. Events of unknown topics change
  // nothing (a later master may send more).
  void apply(const proto::Event& event);

  // Ordered by id, which is submission order (j000001, j000002, ...).
  const std::map<std::string, nlohmann::json>& jobs() const { return jobs_; }
  const std::map<std::string, nlohmann::json>& workers() const { return workers_; }
  const nlohmann::json* find_job(const std::string& job) const;
  // The master's clock at the last snapshot or event: "last seen 2 s ago".
  double time() const { return time_; }

private:
  std::map<std::string, nlohmann::json> jobs_;
  std::map<std::string, nlohmann::json> workers_;
  double time_ = 0.0;
};

// A field of a row, or `fallback` when it is absent or of another type.
template <class T> T field(const nlohmann::json& row, const char* key, T fallback) {
  const auto it = row.find(key);
  if (it == row.end()) return fallback;
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return fallback;
  }
}

} // namespace h5io::cli
