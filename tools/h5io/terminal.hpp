#pragma once
// Raw terminal control for views redrawn in place (`h5io status --follow`):
// the terminal's size, and a screen guard that hides the cursor while it
// draws and shows it again however the view ends (Ctrl-C, an error).

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace h5io::cli {

struct TerminalSize {
  int columns = 0;
  int rows = 0;
};

// The size of the terminal `fd` refers to (ioctl TIOCGWINSZ); nullopt when
// it is not a terminal or does not know its size (a fresh pty says 0 x 0).
std::optional<TerminalSize> terminal_size(int fd);

// `text` cut to `columns` characters (UTF-8 code points, not bytes, so a
// multi-byte character is never split), with control characters replaced by
// spaces: a path or an error text from the master must not move the cursor.
std::string fit_to_width(std::string_view text, size_t columns);

// Draws frames of lines over each other: every frame replaces the previous
// one in place (cursor up over the old lines, each line rewritten and
// cleared to its end, anything below cleared), lines cut to the terminal's
// width and frames to its height, so the cursor-up count stays right. The
// cursor is hidden while the screen exists and shown again when it is
// destroyed, which also happens on the way out after Ctrl-C.
class TerminalScreen {
public:
  // `fallback`: the size to assume when the terminal does not tell.
  explicit TerminalScreen(std::FILE* out, TerminalSize fallback = {80, 24});
  ~TerminalScreen();
  TerminalScreen(const TerminalScreen&) = delete;
  TerminalScreen& operator=(const TerminalScreen&) = delete;

  void draw(const std::vector<std::string>& lines);

private:
  std::FILE* out_;
  TerminalSize fallback_;
  std::optional<TerminalSize> drawn_size_; // the size of the last frame; none before the first
  size_t drawn_lines_ = 0;
};

} // namespace h5io::cli
