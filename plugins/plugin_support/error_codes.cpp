#include "error_codes.hpp"

namespace h5io::plugin {

const char* error_text(const std::string* message, int code, const char* failed) {
  if (message != nullptr && !message->empty()) return message->c_str();
  switch (code) {
  case kBadParameter: return "bad parameter";
  case kBadInput: return "unsuitable input";
  case kBadIndex: return "no such input or output";
  case kNoMemory: return "out of memory";
  default: return failed;
  }
}

} // namespace h5io::plugin
