#pragma once
// Internal to h5io_proto: the JSON text of a frame, both ways. Parsing is
// parse_frame (messages.hpp); this adds what every encoder shares.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace h5io::proto::detail {

// Compact JSON. Invalid UTF-8 in a string (a file name or a library's error
// text in some legacy encoding) becomes U+FFFD instead of throwing: a
// message must always be sendable.
std::string to_frame(const nlohmann::json& message);

// `text` cut to at most kMaxStringBytes on a UTF-8 boundary, marked with
// "..." when cut, so free text (errors, reasons) never makes a message the
// peer must refuse.
std::string clip_text(std::string_view text);

// "number", "string", "array", "object", "boolean" or "null".
const char* json_type_name(const nlohmann::json& value);

} // namespace h5io::proto::detail
