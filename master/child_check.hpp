#pragma once
// Running a check in a child process: the master loads a job's library and
// runs its h5io_init to check a submission, and a library that crashes or
// never returns must cost that one submission, not the master and every job
// it holds. The child does the work, sends back its answer (or the error's
// text) through a pipe and exits; the master waits at most a timeout.

#include <chrono>
#include <functional>
#include <string>

namespace h5io::master {

// Returns what `body` returned in a forked child. Throws h5io::Error with
// the text of the child's exception, or saying the check crashed (the
// signal) or took longer than `timeout` (the child is killed), each naming
// `what` ("library 'tomo_fbp'"). The child must not touch ZeroMQ (it does
// not: it runs only `body`) and logs nothing (another thread may have held
// the log's lock when the process forked).
std::string run_in_child(const std::function<std::string()>& body,
                         std::chrono::milliseconds timeout, const std::string& what);

} // namespace h5io::master
