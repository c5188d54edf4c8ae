#pragma once
// The master's side of systemd's service protocol (sd_notify(3)): READY=1
// once the journal is replayed and the endpoints are bound, STATUS= lines,
// WATCHDOG=1 from the event loop, RELOADING=1 then READY=1 around a SIGHUP,
// STOPPING=1 on the way out. Outside systemd
// (no NOTIFY_SOCKET) every call is a cheap no-op.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace h5io::master {

class SystemdNotifier {
public:
  // Reads WATCHDOG_USEC/WATCHDOG_PID once: the watchdog interval is fixed for
  // the life of the process.
  SystemdNotifier();

  // The service is up: systemd starts units ordered after this one.
  void ready(std::string_view status);
  // Sent only when the text changes: the loop may call this every turn.
  void status(std::string_view text);
  // Called every loop turn; pings the watchdog at half its timeout, as
  // sd_watchdog_enabled(3) recommends, so one slow turn is not a restart.
  void watchdog();
  // SIGHUP is being handled; ready() follows when it is done (systemctl
  // reload waits for it).
  void reloading();
  void stopping();

  [[nodiscard]] bool watchdog_enabled() const { return watchdog_interval_.has_value(); }

private:
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::duration> watchdog_interval_;
  Clock::time_point next_watchdog_{};
  std::string last_status_;
};

} // namespace h5io::master
