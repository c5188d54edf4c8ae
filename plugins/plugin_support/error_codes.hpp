#pragma once
// The codes the libraries here return from their entry points (the host
// takes any non-zero code as a failure and asks get_error_code for its
// text), and get_error_code's answer, once for all of them.

#include <string>

namespace h5io::plugin {

enum Code { kOk = 0, kBadParameter = 1, kBadInput = 2, kBadIndex = 3, kFailed = 4, kNoMemory = 5 };

// The library's own message for its last failure when it has one (`message`
// may be null: no context yet), else a text for `code`; `failed` is the text
// of a code with none ("tomo_fbp failed").
const char* error_text(const std::string* message, int code, const char* failed);

} // namespace h5io::plugin
