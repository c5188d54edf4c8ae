#include "command_template.hpp"

#include "plugin_error.hpp"

#include <cctype>
#include <filesystem>
#include <unistd.h>

namespace h5io::external {

using plugin::Error;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPlaceholders[] = {"{in}", "{out}", "{slice}"};

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Throws for a {word} that is not a placeholder: most likely a misspelt one
// ({input}), which would otherwise reach the program as it is.
void check_placeholders(const std::string& word) {
  for (size_t open = word.find('{'); open != std::string::npos; open = word.find('{', open + 1)) {
    const size_t close = word.find('}', open);
    if (close == std::string::npos) return;
    const std::string_view name = std::string_view(word).substr(open, close - open + 1);
    bool identifier = name.size() > 2;
    for (char c : name.substr(1, name.size() - 2))
      identifier = identifier && (std::islower(static_cast<unsigned char>(c)) || c == '_');
    if (!identifier) continue;
    bool known = false;
    for (std::string_view p : kPlaceholders) known = known || p == name;
    if (!known)
      throw Error("command has an unknown placeholder " + std::string(name) +
                  "; the placeholders are {in} (the slice's TIFF), {out} (where the program "
                  "writes its result) and {slice} (the slice number)");
  }
}

void replace_all(std::string& word, std::string_view placeholder, const std::string& value) {
  for (size_t at = word.find(placeholder); at != std::string::npos;
       at = word.find(placeholder, at + value.size()))
    word.replace(at, placeholder.size(), value);
}

} // namespace

std::vector<std::string> split_command(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_blank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      const size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos)
        throw Error("command has an unterminated ' quote: " + std::string(text));
      word += text.substr(i + 1, close - i - 1);
      i = close;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i >= text.size())
          throw Error("command has an unterminated \" quote: " + std::string(text));
        if (text[i] == '"') break;
        if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\'))
          ++i;
        word += text[i];
      }
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::string find_program(const std::string& name, std::string_view search_path) {
  auto usable = [&](const fs::path& candidate) {
    std::error_code ec;
    return fs::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    const fs::path path = fs::absolute(name).lexically_normal();
    std::error_code ec;
    if (!fs::exists(path, ec))
      throw Error("the command's program " + path.string() + " does not exist");
    if (!usable(path))
      throw Error("the command's program " + path.string() +
                  " is not an executable file (a directory, or no execute permission; for a "
                  "script, make it executable or name its interpreter first)");
    return path.string();
  }
  size_t start = 0;
  while (start <= search_path.size()) {
    size_t end = search_path.find(':', start);
    if (end == std::string_view::npos) end = search_path.size();
    const std::string_view directory = search_path.substr(start, end - start);
    const fs::path candidate =
        fs::absolute(fs::path(directory.empty() ? "." : std::string(directory)) / name);
    if (usable(candidate)) return candidate.lexically_normal().string();
    start = end + 1;
  }
  throw Error("the command's program '" + name +
              "' is not an executable found on PATH; give its absolute path");
}

CommandTemplate::CommandTemplate(std::string_view text, std::string_view search_path)
    : text_(text), words_(split_command(text)) {
  if (words_.empty())
    throw Error("command is empty; give the program and its arguments, e.g. "
                "command=\"myrecon {in} {out}\"");
  bool has_in = false, has_out = false;
  for (const std::string& word : words_) {
    check_placeholders(word);
    has_in = has_in || word.find("{in}") != std::string::npos;
    has_out = has_out || word.find("{out}") != std::string::npos;
  }
  if (!has_in || !has_out)
    throw Error("command '" + text_ +
                "' must name {in} (the slice's TIFF file) and {out} (the "
                "TIFF file the program writes) among its arguments");
  if (words_.front().find('{') != std::string::npos)
    throw Error("command '" + text_ + "': the program's name cannot hold a placeholder");
  words_.front() = find_program(words_.front(), search_path);
}

std::vector<std::string> CommandTemplate::expand(const std::string& in, const std::string& out,
                                                 int64_t slice) const {
  std::vector<std::string> argv = words_;
  const std::string number = std::to_string(slice);
  for (size_t i = 1; i < argv.size(); ++i) {
    replace_all(argv[i], "{in}", in);
    replace_all(argv[i], "{out}", out);
    replace_all(argv[i], "{slice}", number);
  }
  return argv;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& word : argv) {
    if (!line.empty()) line += ' ';
    const bool plain = !word.empty() && word.find_first_of(" \t\n'\"\\") == std::string::npos;
    line += plain ? word : "'" + word + "'";
  }
  return line;
}

} // namespace h5io::external
