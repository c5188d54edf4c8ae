// libFuzzer target for protocol v1 parsing and validation (issue 6). Every
// parser a peer's bytes can reach gets the input; ProtocolError is the
// expected answer to garbage, anything else (another exception, a crash, a
// sanitizer report) is a finding. Whatever parses must encode and re-parse
// to the same value: a message the master accepts and then cannot send back
// (or sends differently) would split the two ends of the protocol.
#include "proto/messages.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

namespace proto = h5io::proto;

namespace {

[[noreturn]] void finding(const char* what, std::string_view detail) {
  std::fprintf(stderr, "proto_fuzz finding: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

// parse -> encode -> parse -> encode: the two encodings must be identical
// (encoders are deterministic, so equal values give equal frames).
template <class Parse, class Encode>
void check(const char* what, std::string_view data, Parse parse, Encode encode) {
  std::string encoded;
  try {
    encoded = encode(parse(data));
  } catch (const proto::ProtocolError&) {
    return; // refused: the expected answer to most inputs
  } catch (const std::exception& e) {
    finding(what, e.what());
  }
  try {
    const std::string again = encode(parse(encoded));
    if (again != encoded) finding(what, "re-encoding differs: " + encoded + " vs " + again);
  } catch (const std::exception& e) {
    finding(what, std::string("own encoding refused: ") + e.what() + " in " + encoded);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);

  check("client request", data, proto::parse_client_request,
        [](const proto::ClientRequest& request) {
          return std::visit([](const auto& r) { return proto::encode(r); }, request);
        });
  check("worker message", data, proto::parse_worker_message,
        [](const proto::WorkerMessage& m) { return proto::encode(m); });
  check("master message", data, proto::parse_master_message,
        [](const proto::MasterMessage& m) { return proto::encode(m); });
  check("snapshot", data, proto::parse_snapshot,
        [](const proto::Snapshot& s) { return proto::encode(s); });
  // accepted/rejected replies: the job id goes back out as an `accepted`.
  check("accepted", data, proto::parse_accepted,
        [](const std::string& job) { return proto::encode_accepted(job); });

  // An event is two frames: the topic is the bytes before the first '\n'.
  const size_t split = data.find('\n');
  if (split != std::string_view::npos) {
    const std::string_view topic = data.substr(0, split);
    check(
        "event", data.substr(split + 1),
        [topic](std::string_view frame) { return proto::parse_event(topic, frame); },
        [](const proto::Event& e) { return proto::encode_event(e.body, e.seq, e.time, e.epoch); });
  }
  return 0;
}
