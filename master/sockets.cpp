#include "master/sockets.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>

#include <cerrno>

namespace h5io::master {

void bind_endpoint(zmq::socket_t& socket, const std::string& endpoint, const char* role) {
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    throw Error(fmt::format("cannot bind the {} endpoint {}: {}{}", role, endpoint, e.what(),
                            e.num() == EADDRINUSE ? " (is another master running?)" : ""));
  }
}

} // namespace h5io::master
