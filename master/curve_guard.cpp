#include "master/curve_guard.hpp"

#include "proto/curve_keys.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace h5io::master {

std::string connection_property(zmq::message_t& frame, const char* name) {
  try {
    return frame.gets(name);
  } catch (const zmq::error_t&) {
    return "";
  }
}

CurveGuard::CurveGuard(zmq::context_t& context, CurveConfig config)
    : CurveGuard(context, config, load_curve_setup(config)) {}

CurveGuard::CurveGuard(zmq::context_t& context, CurveConfig config, CurveSetup setup)
    : config_(std::move(config)), secret_key_(std::move(setup.secret_key)),
      zap_(context, std::move(setup.domains)), handshakes_(context, setup.public_key) {}

void CurveGuard::secure(zmq::socket_t& socket, const char* domain, const char* endpoint_name) {
  proto::set_curve_server(socket, secret_key_, domain);
  handshakes_.watch(socket, endpoint_name);
}

bool CurveGuard::still_authorised(zmq::message_t& frame, const char* domain,
                                  const char* endpoint_name) {
  // ZAP's 200 named the peer's public key as its User-Id.
  const std::string key = connection_property(frame, "User-Id");
  if (zap_.authorised(domain, key)) return true;
  const std::string line =
      fmt::format("dropped a message on the {} endpoint: its connection was let in with CURVE "
                  "public key {}, which a reload has since removed; the connection stays open but "
                  "is not served (restart the master to close it)",
                  endpoint_name, key.empty() ? std::string("(none)") : key);
  for (const std::string& out :
       revoked_log_.refused(std::string(domain) + "/" + key, line, RefusalLog::Clock::now()))
    spdlog::warn("{}", out);
  return false;
}

std::string CurveGuard::client_name(zmq::message_t& frame) const {
  const std::string key = connection_property(frame, "User-Id");
  return zap_.name_of(zap_domain::clients, key).value_or(key);
}

void CurveGuard::log_handshake_failures() {
  handshakes_.drain();
}

void CurveGuard::start_reload() {
  if (reloading()) return;
  reload_ = std::async(std::launch::async,
                       [config = config_] { return load_authorized_domains(config); });
}

std::optional<bool> CurveGuard::finish_reload() {
  if (!reloading() || reload_.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    return std::nullopt;
  ZapDomains fresh;
  try {
    fresh = reload_.get(); // leaves reload_ invalid: no reload running
  } catch (const std::exception& e) {
    spdlog::error("SIGHUP: CURVE keys not reloaded: {}; the keys loaded before stay in force",
                  e.what());
    return false;
  }
  const ZapDomains before = zap_.domains();
  const std::vector<std::string> changes = key_changes(before, fresh);
  const bool clients_removed = removes_keys(before, fresh, zap_domain::status);
  zap_.replace_domains(std::move(fresh));
  if (changes.empty()) {
    spdlog::info("SIGHUP: CURVE keys reloaded, unchanged");
    return false;
  }
  for (const std::string& line : changes) spdlog::info("SIGHUP: CURVE keys reloaded: {}", line);
  spdlog::info("CURVE: the new keys apply to every connection from now on, and to every client "
               "and worker message on connections made before");
  return clients_removed;
}

} // namespace h5io::master
