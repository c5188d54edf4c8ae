#pragma once
// The master's memory across restarts: an append-only file of JSON lines,
// one record per fact (a job accepted, units durably done, a job's end). A
// batch of records is written and fsync'ed before anything that depends on
// it leaves the master (a reply, an event, a message to a group), so a fact
// once told is never forgotten.

#include "common/util/file_descriptor.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace h5io::master {

class Journal {
public:
  // Opens (creating) <dir>/journal.jsonl, replaying every record through
  // `replay` in order. A torn last line (the master died mid-write) is
  // dropped with a warning; a damaged line elsewhere is an Error.
  Journal(const std::filesystem::path& dir,
          const std::function<void(const nlohmann::json&)>& replay);

  // Queues a record for the next commit.
  void append(nlohmann::json record);
  // Writes the queued records and waits until they are on disk.
  void commit();
  bool pending() const { return !queued_.empty(); }
  // Replaces the whole journal by `records` (written to a temporary file,
  // synced, renamed over the journal: a crash leaves the old one or the new
  // one, whole). Nothing may be queued.
  void rewrite(const std::vector<nlohmann::json>& records);

  const std::filesystem::path& path() const { return path_; }
  size_t records() const { return records_; }

private:
  std::filesystem::path path_;
  FileDescriptor fd_;
  std::string queued_;
  size_t queued_count_ = 0;
  size_t records_ = 0;
};

} // namespace h5io::master
