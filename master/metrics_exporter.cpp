#include "master/metrics_exporter.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>

#include <limits>
#include <mutex>

namespace h5io::master {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(const char* name, const char* help, MetricType type) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

ClientMetric value_metric(MetricType type, double value, std::vector<ClientMetric::Label> labels) {
  ClientMetric metric;
  metric.label = std::move(labels);
  if (type == MetricType::Counter)
    metric.counter.value = value;
  else
    metric.gauge.value = value;
  return metric;
}

MetricFamily single(const char* name, const char* help, MetricType type, double value) {
  MetricFamily f = family(name, help, type);
  f.metric.push_back(value_metric(type, value, {}));
  return f;
}

// One sample per key of `values`, labelled `label`="key".
template <class Map>
MetricFamily labelled(const char* name, const char* help, MetricType type, const char* label,
                      const Map& values) {
  MetricFamily f = family(name, help, type);
  for (const auto& [key, value] : values)
    f.metric.push_back(value_metric(type, static_cast<double>(value), {{label, key}}));
  return f;
}

// Cumulative buckets at every other bound of the histogram (five per
// decade, 1 µs to 100 s): exact counts at each bound, and few enough series
// for a dashboard's histogram_quantile.
MetricFamily histogram(const char* name, const char* help, const DurationHistogram& durations) {
  MetricFamily f = family(name, help, MetricType::Histogram);
  ClientMetric metric;
  metric.histogram.sample_count = durations.count();
  metric.histogram.sample_sum = durations.sum_seconds();
  uint64_t cumulative = 0;
  for (int i = 0; i < DurationHistogram::kBuckets - 1; ++i) {
    cumulative += durations.bucket_count(i);
    if (i % 2 == 1)
      metric.histogram.bucket.push_back({cumulative, DurationHistogram::bucket_bound(i)});
  }
  metric.histogram.bucket.push_back({durations.count(), std::numeric_limits<double>::infinity()});
  f.metric.push_back(std::move(metric));
  return f;
}

} // namespace

class MetricsExporter::Collector : public prometheus::Collectable {
public:
  explicit Collector(std::string version)
      : version_(std::move(version)), latest_(std::make_shared<const MetricsSnapshot>()) {}

  void publish(std::shared_ptr<const MetricsSnapshot> snapshot) {
    const std::lock_guard lock(mutex_);
    latest_.swap(snapshot); // the old one is freed after the lock, below
  }

  std::vector<MetricFamily> Collect() const override {
    std::shared_ptr<const MetricsSnapshot> snapshot;
    {
      const std::lock_guard lock(mutex_);
      snapshot = latest_;
    }
    const MetricsSnapshot& s = *snapshot;
    const SchedulerCounters& c = s.counters;
    constexpr auto counter = MetricType::Counter;
    constexpr auto gauge = MetricType::Gauge;
    std::vector<MetricFamily> families;
    families.push_back(labelled("h5io_build_info", "The running h5io-master's version (always 1)",
                                gauge, "version", std::map<std::string, int>{{version_, 1}}));
    families.push_back(labelled("h5io_jobs",
                                "Jobs the master holds, by state (ended jobs are kept up to "
                                "keep_finished_jobs)",
                                gauge, "state", s.jobs));
    families.push_back(single("h5io_units_done_total",
                              "Units reported durably written, since the master started", counter,
                              static_cast<double>(c.units_done)));
    families.push_back(single("h5io_units_failed_total",
                              "Units charged a failed attempt (the library failed, or the group "
                              "holding them was lost or let its lease expire)",
                              counter, static_cast<double>(c.units_failed)));
    families.push_back(single("h5io_units_requeued_total",
                              "Leased units that went back to the queue", counter,
                              static_cast<double>(c.units_requeued)));
    families.push_back(labelled("h5io_jobs_completed_total", "Jobs completed, by library", counter,
                                "plugin", c.jobs_completed));
    families.push_back(labelled("h5io_jobs_failed_total", "Jobs failed, by library", counter,
                                "plugin", c.jobs_failed));
    families.push_back(single("h5io_worker_groups", "Worker groups connected", gauge,
                              static_cast<double>(s.worker_groups)));
    families.push_back(single("h5io_worker_ranks", "MPI ranks in the connected worker groups",
                              gauge, static_cast<double>(s.worker_ranks)));
    families.push_back(single("h5io_groups_lost_total",
                              "Worker groups declared lost after a silence (not those that "
                              "disconnected or reconnected)",
                              counter, static_cast<double>(c.groups_lost)));
    families.push_back(single("h5io_submit_checks_pending",
                              "Submissions whose check (the library's h5io_init in a child "
                              "process) is running",
                              gauge, static_cast<double>(s.checks_pending)));
    families.push_back(histogram("h5io_submit_check_seconds",
                                 "How long submissions' checks took, accepted or not",
                                 s.submit_checks));
    families.push_back(histogram("h5io_event_loop_turn_seconds",
                                 "The master's event-loop turns: from poll returning to the next "
                                 "poll, while nothing else is answered",
                                 s.loop_turns));
    families.push_back(single("h5io_journal_records", "Records in the master's journal file", gauge,
                              static_cast<double>(s.journal_records)));
    families.push_back(single("h5io_status_seq",
                              "The seq of the last status event published (this master's epoch)",
                              gauge, static_cast<double>(s.status_seq)));
    return families;
  }

private:
  const std::string version_;
  mutable std::mutex mutex_;
  std::shared_ptr<const MetricsSnapshot> latest_;
};

MetricsExporter::MetricsExporter(const std::string& address, std::string version)
    : collector_(std::make_shared<Collector>(std::move(version))) {
  try {
    // One HTTP thread: a scrape every few seconds needs no more.
    exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    throw Error(fmt::format("cannot serve metrics on metrics_address '{}' (is the port already in "
                            "use, or the host not an address of this machine?): {}",
                            address, e.what()));
  }
  exposer_->RegisterCollectable(collector_);
}

MetricsExporter::~MetricsExporter() = default;

void MetricsExporter::publish(MetricsSnapshot snapshot) {
  collector_->publish(std::make_shared<const MetricsSnapshot>(std::move(snapshot)));
}

std::vector<int> MetricsExporter::ports() const {
  return exposer_->GetListeningPorts();
}

} // namespace h5io::master
