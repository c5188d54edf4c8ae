// The master's /metrics endpoint over real HTTP on loopback: the text
// format Prometheus reads, each metric from the snapshot last published,
// and a clear error when the address cannot be served.

#include "common/util/error.hpp"
#include "master/metrics_exporter.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace h5io::master {
namespace {

using namespace std::chrono_literals;

// A loopback port nobody listens on (the kernel's choice, released).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

// The body of GET `path` from 127.0.0.1:`port` (HTTP/1.0: the server closes).
std::string http_get(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return "connect failed";
  }
  const std::string request = fmt::format("GET {} HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
  EXPECT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
    response.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? response : response.substr(body + 4);
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

TEST(MetricsExporter, ServesTheLatestSnapshotInPrometheusTextFormat) {
  const int port = free_port();
  MetricsExporter exporter(fmt::format("127.0.0.1:{}", port), "1.2.3");
  ASSERT_EQ(exporter.ports(), std::vector<int>{port});
  const std::string before = http_get(port, "/metrics");
  EXPECT_TRUE(has_line(before, "h5io_units_done_total 0")) << before;
  EXPECT_TRUE(has_line(before, "h5io_build_info{version=\"1.2.3\"} 1")) << before;

  MetricsSnapshot snapshot;
  snapshot.jobs = {{"queued", 2}, {"running", 1}, {"completed", 5}};
  snapshot.counters.units_done = 40;
  snapshot.counters.units_failed = 3;
  snapshot.counters.units_requeued = 2;
  snapshot.counters.groups_lost = 1;
  snapshot.counters.jobs_completed = {{"tomo_fbp", 4}, {"paganin", 1}};
  snapshot.counters.jobs_failed = {{"tomo_fbp", 1}};
  snapshot.worker_groups = 2;
  snapshot.worker_ranks = 8;
  snapshot.checks_pending = 3;
  snapshot.journal_records = 77;
  snapshot.status_seq = 1234;
  snapshot.loop_turns.record(50us);
  snapshot.loop_turns.record(2ms);
  snapshot.loop_turns.record(2ms);
  snapshot.submit_checks.record(1500ms);
  exporter.publish(snapshot);
  const std::string text = http_get(port, "/metrics");
  for (const char* line : {
           "# TYPE h5io_jobs gauge",
           "h5io_jobs{state=\"queued\"} 2",
           "h5io_jobs{state=\"completed\"} 5",
           "# TYPE h5io_units_done_total counter",
           "h5io_units_done_total 40",
           "h5io_units_failed_total 3",
           "h5io_units_requeued_total 2",
           "h5io_groups_lost_total 1",
           "h5io_jobs_completed_total{plugin=\"tomo_fbp\"} 4",
           "h5io_jobs_completed_total{plugin=\"paganin\"} 1",
           "h5io_jobs_failed_total{plugin=\"tomo_fbp\"} 1",
           "h5io_worker_groups 2",
           "h5io_worker_ranks 8",
           "h5io_submit_checks_pending 3",
           "h5io_journal_records 77",
           "h5io_status_seq 1234",
           "# TYPE h5io_event_loop_turn_seconds histogram",
           "h5io_event_loop_turn_seconds_count 3",
           "h5io_event_loop_turn_seconds_bucket{le=\"+Inf\"} 3",
           // Five bounds per decade: 1e-4 s holds the 50 µs turn, 2.5e-3 s all three.
           "h5io_event_loop_turn_seconds_bucket{le=\"0.0001\"} 1",
           "h5io_event_loop_turn_seconds_bucket{le=\"0.001\"} 1",
           "h5io_event_loop_turn_seconds_bucket{le=\"0.002511886431509579\"} 3",
           "h5io_submit_check_seconds_count 1",
           "h5io_submit_check_seconds_bucket{le=\"1\"} 0",
           "h5io_submit_check_seconds_bucket{le=\"1.584893192461114\"} 1",
       })
    EXPECT_TRUE(has_line(text, line)) << "missing: " << line << "\n" << text;
}

TEST(MetricsExporter, AnAddressThatCannotBeServedIsAClearError) {
  const int port = free_port();
  const MetricsExporter first(fmt::format("127.0.0.1:{}", port), "1");
  try {
    const MetricsExporter second(fmt::format("127.0.0.1:{}", port), "1");
    FAIL() << "a second exporter on a taken port";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  fmt::format("cannot serve metrics on metrics_address '127.0.0.1:{}'", port)),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(MetricsExporter("192.0.2.1:9464", "1"), Error) << "not an address of this machine";
}

} // namespace
} // namespace h5io::master
