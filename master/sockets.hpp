#pragma once
// Binding the master's sockets with errors that say which endpoint failed
// and why, and the limits every listening socket gets.

#include <zmq.hpp>

#include <string>

namespace h5io::master {

// Throws h5io::Error, e.g. "cannot bind the client endpoint
// tcp://127.0.0.1:5555: Address already in use (is another master running?)".
void bind_endpoint(zmq::socket_t& socket, const std::string& endpoint, const char* role);

} // namespace h5io::master
