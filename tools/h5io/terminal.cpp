#include "terminal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sys/ioctl.h>
#include <unistd.h>

namespace h5io::cli {

namespace {
constexpr const char* kHideCursor = "\x1b[?25l";
constexpr const char* kShowCursor = "\x1b[?25h";
constexpr const char* kClearToLineEnd = "\x1b[K";
constexpr const char* kClearBelow = "\x1b[J";
constexpr const char* kHomeAndClear = "\x1b[H\x1b[2J";

bool is_continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}
} // namespace

std::optional<TerminalSize> terminal_size(int fd) {
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0 || size.ws_row == 0)
    return std::nullopt;
  return TerminalSize{size.ws_col, size.ws_row};
}

std::string fit_to_width(std::string_view text, size_t columns) {
  std::string fitted;
  size_t width = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!is_continuation_byte(c) && width++ == columns) break;
    const auto byte = static_cast<unsigned char>(c);
    fitted += byte < 0x20 || byte == 0x7F ? ' ' : c;
  }
  return fitted;
}

TerminalScreen::TerminalScreen(std::FILE* out, TerminalSize fallback)
    : out_(out), fallback_(fallback) {
  std::fputs(kHideCursor, out_);
  std::fflush(out_);
}

TerminalScreen::~TerminalScreen() {
  // "\r" + clear: a "^C" the terminal echoed after the last frame goes away.
  std::fprintf(out_, "\r%s%s", kClearToLineEnd, kShowCursor);
  std::fflush(out_);
}

void TerminalScreen::draw(const std::vector<std::string>& lines) {
  const TerminalSize size = terminal_size(fileno(out_)).value_or(fallback_);
  std::string frame;
  if (drawn_size_ && (drawn_size_->columns != size.columns || drawn_size_->rows != size.rows)) {
    // Resized: the terminal may have rewrapped the old lines, so counting
    // them back up is no longer right. Start again from the top.
    frame += kHomeAndClear;
  } else if (drawn_lines_ > 0) {
    frame += fmt::format("\r\x1b[{}A", drawn_lines_);
  }
  // One column and one row spare: a line as wide as the terminal leaves the
  // cursor in its pending-wrap state, and a frame as tall would scroll.
  const auto columns = static_cast<size_t>(std::max(size.columns - 1, 1));
  const auto rows = static_cast<size_t>(std::max(size.rows - 1, 1));
  size_t shown = std::min(lines.size(), rows);
  for (size_t i = 0; i < shown; ++i) {
    const bool cut = i + 1 == shown && shown < lines.size();
    frame +=
        fit_to_width(cut ? fmt::format("... {} more lines", lines.size() - i) : lines[i], columns);
    frame += kClearToLineEnd;
    frame += '\n';
  }
  frame += kClearBelow;
  std::fwrite(frame.data(), 1, frame.size(), out_);
  std::fflush(out_);
  drawn_size_ = size;
  drawn_lines_ = shown;
}

} // namespace h5io::cli
