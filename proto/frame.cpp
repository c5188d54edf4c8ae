// The checks a frame passes before anyone reads its fields, cheapest first:
// size, UTF-8, nesting depth on the raw text, then the JSON parser.
#include "proto/frame.hpp"

#include "proto/messages.hpp"

#include <fmt/format.h>

namespace h5io::proto {

namespace {

// Length of the UTF-8 sequence starting at text[i], or 0 if it is invalid
// (overlong forms, surrogates and code points past U+10FFFF included).
size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF; // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF)
    length = 2;
  else if (lead == 0xE0)
    length = 3, low = 0xA0;
  else if (lead == 0xED)
    length = 3, high = 0x9F;
  else if (lead >= 0xE1 && lead <= 0xEF)
    length = 3;
  else if (lead == 0xF0)
    length = 4, low = 0x90;
  else if (lead >= 0xF1 && lead <= 0xF3)
    length = 4;
  else if (lead == 0xF4)
    length = 4, high = 0x8F;
  else
    return 0;
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return length;
}

void check_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    // JSON text never holds a raw NUL (inside strings it must be escaped),
    // and nlohmann's lexer takes one for the end of input: without this,
    // '{"type":"status"}\0anything' would be accepted, trailing bytes unread.
    if (text[i] == '\0')
      throw ProtocolError(fmt::format("NUL byte at byte {} (JSON text has none; inside strings "
                                      "it is written \\u0000)",
                                      i));
    const size_t length = utf8_sequence_length(text, i);
    if (length == 0)
      throw ProtocolError(
          fmt::format("invalid UTF-8 at byte {} (messages are JSON text in UTF-8)", i));
    i += length;
  }
}

// Counted on the raw text, outside strings, so that a frame of 100000 '['
// is refused after 9 bytes instead of reaching a parser that recurses or
// allocates per level.
void check_depth(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth)
        throw ProtocolError(fmt::format("nesting deeper than {} levels", kMaxDepth));
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

// nlohmann's text without its "[json.exception.parse_error.101] " tag, and
// short: it quotes the offending token, which may be most of the frame.
std::string parser_complaint(const nlohmann::json::exception& error) {
  std::string_view text = error.what();
  if (const size_t tag_end = text.find("] "); text.starts_with("[json.") && tag_end != text.npos)
    text.remove_prefix(tag_end + 2);
  constexpr size_t kMaxShown = 200;
  return text.size() > kMaxShown ? std::string(text.substr(0, kMaxShown)) + "..."
                                 : std::string(text);
}

} // namespace

nlohmann::json parse_frame(std::string_view frame, size_t max_bytes) {
  if (frame.size() > max_bytes)
    throw ProtocolError(
        fmt::format("message of {} bytes exceeds the {}-byte limit", frame.size(), max_bytes));
  if (frame.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw ProtocolError("empty message (expected a JSON object with a \"type\")");
  check_utf8(frame);
  check_depth(frame);
  nlohmann::json message;
  try {
    message = nlohmann::json::parse(frame);
  } catch (const nlohmann::json::exception& e) { // parse_error, or out_of_range for 1e999
    throw ProtocolError("message is not valid JSON: " + parser_complaint(e));
  }
  if (!message.is_object())
    throw ProtocolError(fmt::format("message must be a JSON object with a \"type\", got {}",
                                    detail::json_type_name(message)));
  return message;
}

namespace detail {

std::string to_frame(const nlohmann::json& message) {
  return message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string clip_text(std::string_view text) {
  if (text.size() <= kMaxStringBytes) return std::string(text);
  size_t cut = kMaxStringBytes - 3;
  // Back up over continuation bytes so the cut never splits a character.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

const char* json_type_name(const nlohmann::json& value) {
  return value.type_name();
}

} // namespace detail

} // namespace h5io::proto
