#include "master/systemd_notifier.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <fmt/format.h>

#include <cstdint>
#include <ctime>
#include <string>

namespace h5io::master {

namespace {

// sd_notify's failures are not the service's: log once at debug and go on.
void notify(const std::string& message) {
  const int result = sd_notify(0, message.c_str());
  if (result < 0) spdlog::debug("sd_notify({}) failed: error {}", message, -result);
}

} // namespace

SystemdNotifier::SystemdNotifier() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
    spdlog::info("systemd watchdog: {} ms, fed every {} ms", usec / 1000, usec / 2000);
  }
}

void SystemdNotifier::ready(std::string_view status) {
  last_status_ = status;
  notify("READY=1\nSTATUS=" + last_status_);
  watchdog();
}

void SystemdNotifier::status(std::string_view text) {
  if (text == last_status_) return;
  last_status_ = text;
  notify("STATUS=" + last_status_);
}

void SystemdNotifier::watchdog() {
  if (!watchdog_interval_) return;
  const Clock::time_point now = Clock::now();
  if (now < next_watchdog_) return;
  next_watchdog_ = now + *watchdog_interval_;
  notify("WATCHDOG=1");
}

void SystemdNotifier::reloading() {
  // MONOTONIC_USEC lets systemd (253+, Type=notify-reload) match this
  // RELOADING=1 to its own signal; older systemd ignores it.
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t usec =
      static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
  last_status_ = "reloading keys";
  notify(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS={}", usec, last_status_));
}

void SystemdNotifier::stopping() {
  notify("STOPPING=1\nSTATUS=stopping");
}

} // namespace h5io::master
