#include "terminal_progress.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <unistd.h>

namespace h5io::cli {

TerminalProgress::TerminalProgress() : terminal_(isatty(STDERR_FILENO) == 1) {}

TerminalProgress::~TerminalProgress() {
  if (drawn_) std::fputc('\n', stderr);
}

void TerminalProgress::progress(int64_t slices_done, int64_t slices_total, int64_t bytes_read,
                                double seconds) {
  if (!terminal_) return;
  const auto now = std::chrono::steady_clock::now();
  // Redrawing more than a few times a second only costs time.
  if (drawn_ && slices_done < slices_total && now - last_draw_ < std::chrono::milliseconds(200))
    return;
  last_draw_ = now;
  drawn_ = true;
  constexpr int kWidth = 30;
  const int filled = slices_total > 0 ? static_cast<int>(kWidth * slices_done / slices_total) : 0;
  const double mb_per_s = seconds > 0 ? static_cast<double>(bytes_read) / 1e6 / seconds : 0.0;
  fmt::print(stderr, "\r[{:<{}}] {}/{} slices  {:.1f} MB/s read ", std::string(filled, '#'), kWidth,
             slices_done, slices_total, mb_per_s);
  std::fflush(stderr);
}

} // namespace h5io::cli
