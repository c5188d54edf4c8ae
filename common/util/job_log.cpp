#include "common/util/job_log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <utility>

namespace h5io::log {

namespace {

// Log lines are rare next to slices: one lock per line costs nothing.
std::mutex job_mutex;
std::string job_id;

std::string exchange_job(std::string job) {
  const std::lock_guard lock(job_mutex);
  return std::exchange(job_id, std::move(job));
}

class JobFlag final : public spdlog::custom_flag_formatter {
public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string job = current_job();
    if (job.empty()) return;
    dest.push_back('[');
    dest.append(job.data(), job.data() + job.size());
    dest.push_back(']');
    dest.push_back(' ');
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JobFlag>();
  }
};

} // namespace

JobLogScope::JobLogScope(std::string job) : previous_(exchange_job(std::move(job))) {}

JobLogScope::~JobLogScope() {
  exchange_job(std::move(previous_));
}

std::string current_job() {
  const std::lock_guard lock(job_mutex);
  return job_id;
}

std::unique_ptr<spdlog::formatter> make_formatter(const std::string& pattern) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<JobFlag>('J').set_pattern(pattern);
  return formatter;
}

void set_pattern(const std::string& pattern) {
  spdlog::set_formatter(make_formatter(pattern));
}

} // namespace h5io::log
