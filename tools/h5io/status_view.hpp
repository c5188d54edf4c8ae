#pragma once
// How `h5io status` shows the master's state: a table of jobs and worker
// groups, and one plain line per status event.

#include "job_table.hpp"
#include "proto/messages.hpp"

#include <string>

namespace h5io::cli {

// Jobs (id, state, progress, plugin, output, error), then worker groups.
std::string format_tables(const JobTable& table);

// "12:03:04 job.progress job=j000001 done=96 total=256 rate=12.5 eta=12.8"
std::string format_event(const proto::Event& event);

// The event as one JSON object with its topic, seq, time and epoch, for
// --json (one object per line).
std::string event_json(const proto::Event& event);

} // namespace h5io::cli
