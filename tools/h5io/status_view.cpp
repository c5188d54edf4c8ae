#include "status_view.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <vector>

namespace h5io::cli {

namespace {

using nlohmann::json;
using Rows = std::vector<std::vector<std::string>>;

// Columns padded to their widest cell; the last column is not padded.
std::string format_columns(const Rows& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      widths.resize(std::max(widths.size(), row.size()));
      widths[i] = std::max(widths[i], row[i].size());
    }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i)
      line += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], widths[i]) : row[i];
    line.erase(line.find_last_not_of(' ') + 1);
    text += line + "\n";
  }
  return text;
}

// One line, short enough for a table cell. Control characters (a newline, an
// escape sequence in a library's error text) become spaces: they would break
// the line, or act on the terminal the log is read in.
std::string cell(std::string text, size_t max = 100) {
  std::replace_if(
      text.begin(), text.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\x7f'; }, ' ');
  return text.size() > max ? text.substr(0, max - 3) + "..." : text;
}

std::string progress_cell(const proto::JobRow& job) {
  if (job.reslice_done < job.reslice_units &&
      (job.state == proto::state::queued || job.state == proto::state::running))
    return fmt::format("reslicing {}/{}", job.reslice_done, job.reslice_units);
  if (job.total <= 0) return fmt::format("{}/?", job.done);
  return fmt::format("{}/{} ({}%)", job.done, job.total, 100 * job.done / job.total);
}

std::string clock_time(double seconds) {
  return fmt::format("{:%H:%M:%S}", fmt::localtime(static_cast<std::time_t>(seconds)));
}

} // namespace

std::string format_tables(const JobTable& table) {
  std::string text;
  if (table.jobs().empty()) {
    text += "no jobs\n";
  } else {
    Rows rows{{"JOB", "STATE", "PROGRESS", "PLUGIN", "BY", "OUTPUT", "ERROR"}};
    for (const auto& [id, job] : table.jobs())
      rows.push_back({id, job.state.empty() ? "?" : job.state, progress_cell(job), job.plugin,
                      cell(job.submitted_by.value_or("-"), 24), cell(job.output),
                      cell(job.error.value_or(""))});
    text += format_columns(rows);
  }
  text += "\n";
  if (table.workers().empty()) {
    text += "no worker groups\n";
  } else {
    Rows rows{{"GROUP", "HOST", "RANKS", "JOB", "UNITS LEASED", "LAST SEEN"}};
    for (const auto& [group, worker] : table.workers()) {
      const double seen = worker.last_seen;
      rows.push_back(
          {group, worker.host, std::to_string(worker.ranks), worker.job.value_or("-"),
           std::to_string(worker.units_leased),
           seen > 0 ? fmt::format("{:.1f} s ago", std::max(0.0, table.time() - seen)) : "?"});
    }
    text += format_columns(rows);
  }
  return text;
}

std::string format_event(const proto::Event& event) {
  std::string line = fmt::format("{} {}", clock_time(event.time), event.topic());
  const json fields = proto::event_fields(event.body);
  for (const auto& [key, value] : fields.items())
    line += fmt::format(" {}={}", key,
                        value.is_string() ? cell(value.get<std::string>(), 200) : value.dump());
  return line;
}

std::string event_json(const proto::Event& event) {
  json object = proto::event_fields(event.body);
  object["topic"] = event.topic();
  object["seq"] = event.seq;
  object["time"] = event.time;
  object["epoch"] = event.epoch;
  return object.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace h5io::cli
