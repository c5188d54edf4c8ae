#pragma once
// CURVE authentication (PROTOCOL.md section 4): the ZAP handler (ZeroMQ RFC
// 27) that tells libzmq which peers may finish their handshake. CURVE alone
// only encrypts: any key pair gets through. With a handler bound at
// inproc://zeromq.zap.01 in the master's context, libzmq asks it about
// every CURVE peer of a socket that has a zap_domain, and drops the
// connection unless the answer is 200. The peer sees silence.
//
// One thread owns the REP socket. The key sets are read from the authorised
// directories at start and again on SIGHUP (replace_domains): a new set
// applies to every handshake after it. ZAP is asked only once per
// connection, so the 200 carries the peer's key as User-Id, for the master
// to check each message of older connections (authorised()). Refusals are
// logged once per key and domain
// (again at most every 10 minutes, with the number of repeats), and at most
// 20 lines a minute in all, so a reconnecting peer cannot flood the log.

#include "common/util/file_descriptor.hpp"
#include "master/config.hpp"

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace h5io::master {

// The ZAP domains of the master's sockets.
namespace zap_domain {
inline constexpr const char* clients = "clients"; // client ROUTER: authorized_clients_dir
inline constexpr const char* status = "status";   // status PUB: authorized_clients_dir too
inline constexpr const char* workers = "workers"; // worker ROUTER: authorized_workers_dir
} // namespace zap_domain

// Who may connect within one ZAP domain.
struct ZapDomain {
  std::string endpoint;                    // "client", "status", "worker": for the log
  std::filesystem::path dir;               // where the keys came from: for the log
  std::map<std::string, std::string> keys; // Z85 public key -> name (the file's stem)
};
using ZapDomains = std::map<std::string, ZapDomain>;

// The master's CURVE setup, read from CurveConfig at start: its secret key
// and the domains. Logs how many keys came from which directory. Throws
// Error naming a bad file.
struct CurveSetup {
  std::string secret_key; // Z85
  std::string public_key; // Z85, for the log
  ZapDomains domains;
};
CurveSetup load_curve_setup(const CurveConfig& config);
// The domains alone, from the authorised directories (logs how many keys
// came from each). Throws Error naming a bad file.
ZapDomains load_authorized_domains(const CurveConfig& config);

// For the reload log: one line per endpoint whose keys changed, naming the
// keys added and removed ("client keys: added carol; removed bob (2 now)").
// The status endpoint shares the client keys and is not listed separately.
std::vector<std::string> key_changes(const ZapDomains& before, const ZapDomains& after);
// Whether a key of `domain` in `before` is missing from `after`.
bool removes_keys(const ZapDomains& before, const ZapDomains& after, const std::string& domain);

struct ZapAnswer {
  std::string status_code; // "200" or "400"
  std::string status_text;
  // When accepted: the public key (Z85), which libzmq attaches to every
  // message of the connection as "User-Id", so the master can check it
  // again after a reload; and the key's name, for the log.
  std::string user_id;
  std::string name;
};

// The decision alone, for tests: 200 only for mechanism CURVE with a
// public key in the domain's set.
ZapAnswer decide(const ZapDomains& domains, const std::string& domain, const std::string& mechanism,
                 const std::string& public_key_z85);

// Which refusals get a log line (see the top of this file).
class RefusalLog {
public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::minutes kRepeatEvery{10};
  static constexpr int kLinesPerMinute = 20;
  static constexpr size_t kRemembered = 10000;

  // The lines to log for one more refusal of `who` (key and domain) at
  // `now`: none, one, or a note about lines left out, then one.
  std::vector<std::string> refused(const std::string& who, const std::string& line,
                                   Clock::time_point now);

private:
  struct Seen {
    Clock::time_point logged;
    uint64_t since = 0; // refusals not logged since then
  };
  std::map<std::string, Seen> seen_;
  Clock::time_point window_start_{};
  int window_lines_ = 0;
  uint64_t window_dropped_ = 0;
};

class ZapHandler {
public:
  // Binds inproc://zeromq.zap.01 in `context` and starts answering. Create
  // it before binding the sockets it guards: libzmq lets every CURVE peer in
  // while no handler is bound. Throws Error if another handler is bound.
  ZapHandler(zmq::context_t& context, ZapDomains domains);
  // Stops the thread and closes its socket (before the context ends).
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // The key sets in force (a copy), and a new set for every handshake from
  // now on; connections already made are not asked again.
  ZapDomains domains() const;
  void replace_domains(ZapDomains domains);
  // Whether `public_key` (Z85, a message's "User-Id") is in the domain's
  // set now: for connections made before a reload removed their key.
  bool authorised(const std::string& domain, const std::string& public_key) const;
  // The name of that key in the domain's set now, if it is there.
  std::optional<std::string> name_of(const std::string& domain,
                                     const std::string& public_key) const;

private:
  void loop();
  void answer(std::vector<zmq::message_t>& request);

  mutable std::mutex domains_mutex_; // domains_: the handler thread reads, SIGHUP replaces
  ZapDomains domains_;
  zmq::socket_t socket_;
  FileDescriptor stop_fd_; // eventfd: the destructor's "stop"
  RefusalLog refusals_;
  std::thread thread_; // last: starts once everything above exists
};

} // namespace h5io::master
