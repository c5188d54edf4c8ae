#pragma once
// Internal to h5io_proto: strict, typed access to the fields of one JSON
// object (a message, or an element of its arrays), with errors that name the
// message, the field and what was wrong, in words a scientist understands.

#include "proto/messages.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace h5io::proto::detail {

class FieldReader {
public:
  // `context` names the object in errors ("submit", "assign: units[3]").
  // Every field must be in `allowed` (plus "type" when `typed`): an unknown
  // one is refused here, with the closest allowed name as a hint, before
  // any missing field is reported (a typo is the likelier cause).
  FieldReader(const nlohmann::json& object, std::string context,
              std::initializer_list<std::string_view> allowed, bool typed = true);
  // Tolerates fields it is not asked for: for what clients read from the
  // master (snapshots, events), so that fields added later break nothing.
  FieldReader(const nlohmann::json& object, std::string context);

  // Strings: at most kMaxStringBytes. `name` must not be empty (ids, paths,
  // names); `text` may be (free text). Only `text` may contain NUL.
  std::string name(std::string_view key) const;
  std::string text(std::string_view key) const;
  std::optional<std::string> optional_name(std::string_view key) const;
  std::optional<std::string> optional_text(std::string_view key) const;
  // A name that may be absent or null (nullopt either way).
  std::optional<std::string> nullable_name(std::string_view key) const;

  int64_t integer(std::string_view key, int64_t min, int64_t max) const;
  std::optional<int64_t> optional_integer(std::string_view key, int64_t min, int64_t max) const;
  bool boolean(std::string_view key) const;
  std::optional<bool> optional_boolean(std::string_view key) const;
  double number(std::string_view key) const;
  // A number that may be absent or null (nullopt either way).
  std::optional<double> nullable_number(std::string_view key) const;
  // An array of `min_size`..kMaxUnitsPerMessage whole numbers >= 0.
  std::vector<int64_t> indices(std::string_view key, size_t min_size) const;

  // An array of `min_size`..kMaxUnitsPerMessage elements.
  const nlohmann::json& array(std::string_view key, size_t min_size) const;
  // Optional object of at most kMaxParams entries, each a string, a number
  // or a boolean; {} when absent. (JSON has no infinite numbers: the parser
  // refuses 1e999.)
  nlohmann::json params(std::string_view key) const;

  bool has(std::string_view key) const { return find(key) != nullptr; }

  [[noreturn]] void fail(std::string_view problem) const;
  const std::string& context() const { return context_; }

private:
  const nlohmann::json* find(std::string_view key) const;
  const nlohmann::json& required(std::string_view key) const;
  std::string checked_string(std::string_view key, const nlohmann::json& value, bool allow_empty,
                             bool allow_nul = false) const;
  int64_t checked_integer(std::string_view key, const nlohmann::json& value, int64_t min,
                          int64_t max) const;

  const nlohmann::json& object_;
  std::string context_;
};

// A message type and the function that reads its fields.
template <class Message> struct MessageParser {
  std::string_view type;
  Message (*parse)(const nlohmann::json& object);
};

// Which of `types` the message's "type" names; throws ProtocolError when it
// is missing, not a string or none of them ("unknown message type 'sumbit'
// (expected submit, status or cancel)").
size_t message_type_index(const nlohmann::json& message,
                          const std::vector<std::string_view>& types);

// Runs parse_frame, then the parser in `table` named by the frame's "type".
template <class Message, size_t N>
Message parse_message(std::string_view frame, const MessageParser<Message> (&table)[N]) {
  const nlohmann::json message = parse_frame(frame);
  std::vector<std::string_view> types;
  for (const auto& entry : table) types.push_back(entry.type);
  return table[message_type_index(message, types)].parse(message);
}

} // namespace h5io::proto::detail
