#pragma once
// The user's command, e.g. `myrecon --angles 180 {in} {out}`: split into
// words once, at h5io_init, and the program found; per slice the
// placeholders {in}, {out} and {slice} are replaced in every word. No shell
// ever sees it: no variables, globs, pipes or redirections, and a file name
// with spaces stays one word.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace h5io::external {

// Words separated by blanks. '...' keeps everything literally; "..." keeps
// blanks and honours \" and \\; a backslash outside quotes keeps the next
// character. Throws plugin::Error for an unterminated quote.
std::vector<std::string> split_command(std::string_view text);

// The absolute path of the program `name`: itself when it holds a '/'
// (relative to the current directory), else the first executable of that
// name in the colon-separated `search_path` (PATH). Throws plugin::Error
// when there is none, or it is a directory or not executable.
std::string find_program(const std::string& name, std::string_view search_path);

class CommandTemplate {
public:
  CommandTemplate() = default;
  // Throws plugin::Error: empty command, unknown {placeholder}, no {in} or
  // no {out}, program not found.
  CommandTemplate(std::string_view text, std::string_view search_path);

  std::vector<std::string> expand(const std::string& in, const std::string& out,
                                  int64_t slice) const;

  const std::string& text() const { return text_; }
  const std::string& program() const { return words_.front(); }

private:
  std::string text_;
  std::vector<std::string> words_; // words_[0]: the program, resolved
};

// argv as one line for messages: words with blanks or quotes are quoted.
std::string command_line(const std::vector<std::string>& argv);

} // namespace h5io::external
