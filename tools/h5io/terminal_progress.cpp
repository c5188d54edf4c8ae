#include "terminal_progress.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <unistd.h>

namespace h5io::cli {

namespace {
// Redrawing more than a few times a second only costs time; plain lines in
// a log are useful every few seconds at most.
constexpr std::chrono::milliseconds kRedrawInterval(200);
constexpr std::chrono::milliseconds kPlainLineInterval(5000);
} // namespace

TerminalProgress::TerminalProgress(bool plain_lines)
    : terminal_(isatty(STDERR_FILENO) == 1), plain_lines_(plain_lines) {}

TerminalProgress::~TerminalProgress() {
  if (drawn_) std::fputc('\n', stderr);
}

bool TerminalProgress::due(int64_t slices_done, int64_t slices_total,
                           std::chrono::milliseconds interval) {
  const auto now = std::chrono::steady_clock::now();
  if (last_draw_ != std::chrono::steady_clock::time_point{} && slices_done < slices_total &&
      now - last_draw_ < interval)
    return false;
  last_draw_ = now;
  return true;
}

void TerminalProgress::draw(int64_t done, int64_t total, const std::string& what,
                            const std::string& suffix) {
  drawn_ = true;
  constexpr int kWidth = 30;
  const int filled = total > 0 ? static_cast<int>(kWidth * done / total) : 0;
  fmt::print(stderr, "\r[{:<{}}] {}/{} {}  {} ", std::string(filled, '#'), kWidth, done, total,
             what, suffix);
  std::fflush(stderr);
}

void TerminalProgress::progress(int64_t slices_done, int64_t slices_total, int64_t bytes_read,
                                double seconds) {
  if (!terminal_ || !due(slices_done, slices_total, kRedrawInterval)) return;
  const double mb_per_s = seconds > 0 ? static_cast<double>(bytes_read) / 1e6 / seconds : 0.0;
  draw(slices_done, slices_total, "slices", fmt::format("{:.1f} MB/s read", mb_per_s));
}

void TerminalProgress::reslicing(int64_t units_done, int64_t units_total, double seconds) {
  if (!terminal_ || !due(units_done, units_total, kRedrawInterval)) return;
  draw(units_done, units_total, "units of frames resliced", fmt::format("{:.1f} s", seconds));
}

void TerminalProgress::job(const std::string& id, int64_t slices_done, int64_t slices_total,
                           double rate, std::optional<double> eta) {
  if (!terminal_ && !plain_lines_) return;
  if (!due(slices_done, slices_total, terminal_ ? kRedrawInterval : kPlainLineInterval)) return;
  std::string suffix = fmt::format("{:.1f} slices/s", rate);
  if (eta) suffix += fmt::format(", {:.0f} s left", *eta);
  if (terminal_)
    draw(slices_done, slices_total, "slices", suffix);
  else
    fmt::print(stderr, "h5io: job {}: {}/{} slices ({})\n", id, slices_done, slices_total, suffix);
}

void TerminalProgress::note(const std::string& line) {
  // Clear the bar's line first, and draw the bar again on the next update.
  if (terminal_ && drawn_) fmt::print(stderr, "\r\x1b[K");
  drawn_ = false;
  last_draw_ = {};
  fmt::print(stderr, "{}\n", line);
}

} // namespace h5io::cli
