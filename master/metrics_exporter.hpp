#pragma once
// Serves the master's metrics to Prometheus over HTTP (prometheus-cpp's
// Exposer, on threads of its own). The event loop never waits for a scrape:
// it publishes a MetricsSnapshot (a pointer swap under a mutex that a scrape
// holds only to copy that pointer), and a scrape turns the latest snapshot
// into metric families. The metrics and what each means are listed in
// deploy/README.md ("Metrics").

#include "master/metrics_snapshot.hpp"

#include <memory>
#include <string>
#include <vector>

namespace prometheus {
class Exposer;
}

namespace h5io::master {

class MetricsExporter {
public:
  // Listens on `address` ("HOST:PORT") and serves /metrics. Throws Error
  // naming the address when it cannot listen there.
  MetricsExporter(const std::string& address, std::string version);
  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  // Makes `snapshot` what the next scrape reads.
  void publish(MetricsSnapshot snapshot);
  // The ports it listens on (the one in the address).
  std::vector<int> ports() const;

  class Collector; // turns the latest snapshot into metric families

private:
  std::shared_ptr<Collector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

} // namespace h5io::master
