#include "master/zap_handler.hpp"

#include "common/util/error.hpp"
#include "proto/curve_keys.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iterator>
#include <pthread.h>
#include <sys/eventfd.h>

namespace fs = std::filesystem;

namespace h5io::master {

namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

std::map<std::string, std::string> load_keys(const fs::path& dir, const char* peers) {
  std::map<std::string, std::string> keys;
  for (const proto::AuthorizedKey& key : proto::read_authorized_keys(dir)) {
    const auto [it, added] = keys.emplace(key.public_key, key.name);
    if (!added)
      spdlog::warn("CURVE: {} holds the same public key as {}.key; the name '{}' is used",
                   key.file.string(), it->second, it->second);
  }
  if (keys.empty())
    spdlog::warn("CURVE: no keys in {}: no {} can connect (add NAME.key files from h5io keygen, "
                 "then send the master SIGHUP: systemctl reload h5io-master)",
                 dir.string(), peers);
  else
    spdlog::info("CURVE: {} {} key{} from {}", keys.size(), peers, keys.size() == 1 ? "" : "s",
                 dir.string());
  return keys;
}

} // namespace

CurveSetup load_curve_setup(const CurveConfig& config) {
  CurveSetup setup;
  const proto::CurveKeyPair own = proto::read_secret_key(config.secret_key_file);
  setup.secret_key = own.secret_key;
  setup.public_key = own.public_key;
  setup.domains = load_authorized_domains(config);
  spdlog::info("CURVE authentication on every endpoint; the master's public key is {} (the "
               "public half of {}: clients and worker groups need that NAME.key as --master-key)",
               setup.public_key, config.secret_key_file.string());
  return setup;
}

ZapDomains load_authorized_domains(const CurveConfig& config) {
  ZapDomains domains;
  auto clients = load_keys(config.authorized_clients_dir, "client");
  auto workers = load_keys(config.authorized_workers_dir, "worker group");
  domains[zap_domain::clients] = {"client", config.authorized_clients_dir, clients};
  domains[zap_domain::status] = {"status", config.authorized_clients_dir, std::move(clients)};
  domains[zap_domain::workers] = {"worker", config.authorized_workers_dir, std::move(workers)};
  return domains;
}

std::vector<std::string> key_changes(const ZapDomains& before, const ZapDomains& after) {
  const auto names_not_in = [](const ZapDomain& from, const ZapDomain* other) {
    std::vector<std::string> names;
    for (const auto& [key, name] : from.keys)
      if (other == nullptr || !other->keys.contains(key)) names.push_back(name);
    return names;
  };
  std::vector<std::string> lines;
  for (const char* domain : {zap_domain::clients, zap_domain::workers}) {
    const auto now = after.find(domain);
    const auto was = before.find(domain);
    const ZapDomain* now_domain = now == after.end() ? nullptr : &now->second;
    const ZapDomain* was_domain = was == before.end() ? nullptr : &was->second;
    const std::vector<std::string> added =
        now_domain ? names_not_in(*now_domain, was_domain) : std::vector<std::string>{};
    const std::vector<std::string> removed =
        was_domain ? names_not_in(*was_domain, now_domain) : std::vector<std::string>{};
    if (added.empty() && removed.empty()) continue;
    std::string line = fmt::format("{} keys:", now_domain ? now_domain->endpoint : domain);
    if (!added.empty()) line.append(fmt::format(" added {}", fmt::join(added, ", ")));
    if (!added.empty() && !removed.empty()) line.push_back(';');
    if (!removed.empty()) line.append(fmt::format(" removed {}", fmt::join(removed, ", ")));
    line.append(fmt::format(" ({} now)", now_domain ? now_domain->keys.size() : 0));
    lines.push_back(std::move(line));
  }
  return lines;
}

bool removes_keys(const ZapDomains& before, const ZapDomains& after, const std::string& domain) {
  const auto was = before.find(domain);
  if (was == before.end()) return false;
  const auto now = after.find(domain);
  for (const auto& [key, name] : was->second.keys)
    if (now == after.end() || !now->second.keys.contains(key)) return true;
  return false;
}

ZapAnswer decide(const ZapDomains& domains, const std::string& domain, const std::string& mechanism,
                 const std::string& public_key_z85) {
  const auto it = domains.find(domain);
  if (it == domains.end()) return {"400", "unknown ZAP domain", "", ""};
  if (mechanism != "CURVE") return {"400", "CURVE authentication required", "", ""};
  const auto key = it->second.keys.find(public_key_z85);
  if (key == it->second.keys.end()) return {"400", "public key not authorised", "", ""};
  return {"200", "OK", public_key_z85, key->second};
}

std::vector<std::string> RefusalLog::refused(const std::string& who, const std::string& line,
                                             Clock::time_point now) {
  std::vector<std::string> lines;
  if (now - window_start_ >= std::chrono::minutes(1)) {
    if (window_dropped_ > 0)
      lines.push_back(fmt::format("{} more refused connection{} not logged in the last minute",
                                  window_dropped_, window_dropped_ == 1 ? " was" : "s were"));
    window_start_ = now;
    window_lines_ = 0;
    window_dropped_ = 0;
  }
  auto it = seen_.find(who);
  if (it != seen_.end() && now - it->second.logged < kRepeatEvery) {
    ++it->second.since;
    return lines;
  }
  if (window_lines_ >= kLinesPerMinute) {
    if (window_dropped_++ == 0)
      lines.push_back(fmt::format("more than {} refused connections this minute: the rest are "
                                  "counted, not logged",
                                  kLinesPerMinute));
    return lines;
  }
  ++window_lines_;
  const uint64_t repeats = it == seen_.end() ? 0 : it->second.since;
  if (it == seen_.end() && seen_.size() >= kRemembered) seen_.clear();
  seen_[who] = Seen{now, 0};
  lines.push_back(repeats > 0 ? fmt::format("{} (refused {} more time{} since the last line about "
                                            "it)",
                                            line, repeats, repeats == 1 ? "" : "s")
                              : fmt::format("{} (repeats are logged at most every {} minutes)",
                                            line, kRepeatEvery.count()));
  return lines;
}

ZapHandler::ZapHandler(zmq::context_t& context, ZapDomains domains)
    : domains_(std::move(domains)), socket_(context, zmq::socket_type::rep),
      stop_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!stop_fd_.valid())
    throw Error(fmt::format("cannot start the ZAP handler: eventfd: {}", std::strerror(errno)));
  socket_.set(zmq::sockopt::linger, 0);
  try {
    socket_.bind(kZapEndpoint);
  } catch (const zmq::error_t& e) {
    throw Error(fmt::format("cannot start the ZAP handler at {}: {}", kZapEndpoint, e.what()));
  }
  // Signals (SIGTERM) belong to the main thread's event loop: the thread
  // starts with all of them blocked.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  thread_ = std::thread([this] { loop(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

ZapDomains ZapHandler::domains() const {
  const std::lock_guard lock(domains_mutex_);
  return domains_;
}

bool ZapHandler::authorised(const std::string& domain, const std::string& public_key) const {
  return name_of(domain, public_key).has_value();
}

std::optional<std::string> ZapHandler::name_of(const std::string& domain,
                                               const std::string& public_key) const {
  const std::lock_guard lock(domains_mutex_);
  const auto it = domains_.find(domain);
  if (it == domains_.end()) return std::nullopt;
  const auto key = it->second.keys.find(public_key);
  if (key == it->second.keys.end()) return std::nullopt;
  return key->second;
}

void ZapHandler::replace_domains(ZapDomains domains) {
  const std::lock_guard lock(domains_mutex_);
  domains_ = std::move(domains);
}

ZapHandler::~ZapHandler() {
  const uint64_t one = 1;
  static_cast<void>(::write(stop_fd_.get(), &one, sizeof(one)));
  thread_.join();
}

void ZapHandler::loop() {
  try {
    for (;;) {
      zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0},
                                 {nullptr, stop_fd_.get(), ZMQ_POLLIN, 0}};
      try {
        zmq::poll(items, 2, std::chrono::milliseconds(-1));
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        throw;
      }
      if ((items[1].revents & ZMQ_POLLIN) != 0) return;
      if ((items[0].revents & ZMQ_POLLIN) == 0) continue;
      std::vector<zmq::message_t> request;
      if (zmq::recv_multipart(socket_, std::back_inserter(request), zmq::recv_flags::dontwait))
        answer(request);
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == ETERM) return; // the context is ending
    spdlog::critical("the ZAP handler stopped: {}; no peer can connect until the master "
                     "restarts",
                     e.what());
  } catch (const std::exception& e) {
    spdlog::critical("the ZAP handler stopped: {}; no peer can connect until the master "
                     "restarts",
                     e.what());
  }
}

void ZapHandler::answer(std::vector<zmq::message_t>& request) {
  // RFC 27: version, request id, domain, address, identity, mechanism,
  // credentials (CURVE: the client's 32-byte public key).
  const auto text = [&](size_t i) { return i < request.size() ? request[i].to_string() : ""; };
  const std::string version = text(0), request_id = text(1), domain = text(2), address = text(3),
                    mechanism = text(5);
  const std::lock_guard lock(domains_mutex_);
  ZapAnswer reply;
  std::string key;
  if (version != "1.0" || request.size() < 6) {
    reply = {"500", "unsupported ZAP request", "", ""};
    spdlog::error("ZAP: a request of version '{}' with {} frames; refused", version,
                  request.size());
  } else {
    if (mechanism == "CURVE") key = proto::z85_key(text(6));
    reply = decide(domains_, domain, mechanism, key);
  }
  if (reply.status_code == "200") {
    spdlog::debug("CURVE: accepted '{}' ({}) on the {} endpoint from {}", reply.name, key,
                  domains_.at(domain).endpoint, address);
  } else if (reply.status_code == "400") {
    const auto it = domains_.find(domain);
    const std::string where = it == domains_.end()
                                  ? fmt::format("a socket of unknown ZAP domain '{}'", domain)
                                  : fmt::format("the {} endpoint", it->second.endpoint);
    const std::string line =
        mechanism != "CURVE"
            ? fmt::format("refused a connection to {} from {}: mechanism {}, not CURVE", where,
                          address, mechanism)
            : fmt::format("refused a connection to {} from {}: CURVE public key {} is not "
                          "authorised: no NAME.key in {} holds it",
                          where, address, key,
                          it == domains_.end() ? std::string("(no directory)")
                                               : it->second.dir.string());
    const std::string who = domain + "/" + (mechanism == "CURVE" ? key : mechanism + "/" + address);
    for (const std::string& out : refusals_.refused(who, line, RefusalLog::Clock::now()))
      spdlog::warn("{}", out);
  }
  socket_.send(zmq::buffer(version), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(reply.status_code), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(reply.status_text), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(reply.user_id), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(std::string_view{}), zmq::send_flags::none);
}

} // namespace h5io::master
