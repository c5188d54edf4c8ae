// How many work units per second h5io-master can lease and retire.
//
// Starts a real h5io-master (its journal on disk, fsync'ed as in service)
// and submits jobs of the benchmark library over an input whose every slice
// is its own unit. Worker groups are played by DEALER sockets in this
// program that speak protocol v1 and report each leased unit done at once,
// so the figure is the master's: validation aside, every lease, journal
// record, `done`, progress event and `finish` goes through it as with real
// groups. (Real groups doing HDF5 I/O per unit are measured by
// bench/service_overhead.py.)
#include "common/hdf5/hdf5_handle.hpp"
#include "proto/messages.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <hdf5.h>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace h5io;
using Clock = std::chrono::steady_clock;

extern char** environ;

namespace {

struct Options {
  std::string master_bin = H5IO_MASTER_BIN;
  std::string plugin_dir = H5IO_PLUGIN_DIR;
  std::string workdir = (fs::temp_directory_path() / "h5io-dispatch-bench").string();
  int64_t units = 200000;
  int jobs = 4;
  int groups = 2;
  int credit = 256;
  int port = 25555;
};

// A contiguous [units, 4] uint8 dataset: alignment 1, so with min_units as
// large as the slice count every slice is a unit.
void write_input(const fs::path& path, int64_t slices) {
  hdf5::File file(hdf5::check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                              "create bench input"));
  hdf5::PropertyList lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  const hsize_t dims[2] = {static_cast<hsize_t>(slices), 4};
  hdf5::Dataspace space(H5Screate_simple(2, dims, nullptr));
  hdf5::Dataset dataset(hdf5::check(H5Dcreate2(file.get(), "/entry/data/data", H5T_NATIVE_UINT8,
                                               space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                                    "create bench dataset"));
  std::vector<uint8_t> zeros(static_cast<size_t>(slices) * 4, 0);
  H5Dwrite(dataset.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data());
}

std::string request(zmq::context_t& context, const std::string& endpoint, const std::string& body) {
  zmq::socket_t socket(context, zmq::socket_type::req);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::rcvtimeo, 60000);
  socket.connect(endpoint);
  socket.send(zmq::buffer(body));
  zmq::message_t reply;
  if (!socket.recv(reply)) throw std::runtime_error("no reply from the master");
  return reply.to_string();
}

} // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app("h5io-master dispatch rate: units leased and retired per second");
  app.add_option("--master-bin", o.master_bin, "h5io-master")->capture_default_str();
  app.add_option("--plugin-dir", o.plugin_dir, "Where libh5io_benchmark.so is")
      ->capture_default_str();
  app.add_option("--workdir", o.workdir, "Journal and input go here (a real disk)")
      ->capture_default_str();
  app.add_option("--units", o.units, "Units in all (one slice each)")->capture_default_str();
  app.add_option("--jobs", o.jobs, "Jobs the units are spread over")->capture_default_str();
  app.add_option("--groups", o.groups, "Simulated worker groups")->capture_default_str();
  app.add_option("--credit", o.credit, "Units each group asks to be leased ahead")
      ->capture_default_str();
  app.add_option("--port", o.port, "First of three loopback ports")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  hdf5::silence_error_printing();

  fs::remove_all(o.workdir);
  fs::create_directories(o.workdir);
  const fs::path input = fs::path(o.workdir) / "tiny_units.h5";
  const int64_t per_job = o.units / o.jobs;
  write_input(input, per_job);
  const std::string client = fmt::format("tcp://127.0.0.1:{}", o.port);
  const std::string worker = fmt::format("tcp://127.0.0.1:{}", o.port + 2);
  const nlohmann::json config = {{"client_endpoint", client},
                                 {"status_endpoint", fmt::format("tcp://127.0.0.1:{}", o.port + 1)},
                                 {"worker_endpoint", worker},
                                 {"journal_dir", (fs::path(o.workdir) / "journal").string()},
                                 {"plugin_dirs", {o.plugin_dir}},
                                 {"min_units", per_job},
                                 {"unit_mb", 1},
                                 {"progress_interval_ms", 500}};
  const fs::path config_file = fs::path(o.workdir) / "master.json";
  std::ofstream(config_file) << config.dump(1);
  const fs::path log = fs::path(o.workdir) / "master.log";
  const std::string shell = fmt::format("exec '{}' --config '{}' > '{}' 2>&1", o.master_bin,
                                        config_file.string(), log.string());
  const char* spawn_argv[] = {"/bin/sh", "-c", shell.c_str(), nullptr};
  pid_t master = 0;
  if (posix_spawn(&master, "/bin/sh", nullptr, nullptr, const_cast<char**>(spawn_argv), environ) !=
      0) {
    fmt::print(stderr, "cannot start {}\n", o.master_bin);
    return 1;
  }
  zmq::context_t context(1);
  int status_code = 1;
  try {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    request(context, client, proto::encode(proto::StatusRequest{}));

    std::vector<zmq::socket_t> groups;
    std::vector<zmq::pollitem_t> items;
    for (int g = 0; g < o.groups; ++g) {
      groups.emplace_back(context, zmq::socket_type::dealer);
      groups.back().connect(worker);
      groups.back().send(zmq::buffer(proto::encode(proto::WorkerMessage{
          proto::Ready{fmt::format("bench-{}", g), "localhost", 1, o.credit}})));
    }
    for (auto& socket : groups) items.push_back({socket.handle(), 0, ZMQ_POLLIN, 0});

    const auto submitted = Clock::now();
    for (int j = 0; j < o.jobs; ++j) {
      proto::SubmitRequest submit;
      submit.job = {input.string(),
                    "benchmark",
                    (fs::path(o.workdir) / fmt::format("out{}.h5", j)).string(),
                    {{"axis", 0}},
                    {}};
      proto::parse_accepted(request(context, client, proto::encode(submit)));
    }
    const double submit_seconds = std::chrono::duration<double>(Clock::now() - submitted).count();

    int64_t retired = 0, messages = 0;
    int finished = 0;
    const auto start = Clock::now();
    while (finished < o.jobs) {
      zmq::poll(items, std::chrono::milliseconds(10000));
      for (size_t g = 0; g < groups.size(); ++g) {
        if (!(items[g].revents & ZMQ_POLLIN)) continue;
        zmq::message_t frame;
        while (groups[g].recv(frame, zmq::recv_flags::dontwait)) {
          const proto::MasterMessage message = proto::parse_master_message(frame.to_string_view());
          auto retire = [&](const std::string& job, int64_t lease,
                            const std::vector<proto::UnitRange>& units) {
            if (units.empty()) return;
            proto::UnitsDone done{job, lease, {}};
            for (const auto& unit : units) done.units.push_back(unit.unit);
            retired += static_cast<int64_t>(units.size());
            ++messages;
            groups[g].send(zmq::buffer(proto::encode(proto::WorkerMessage{done})));
          };
          if (const auto* assign = std::get_if<proto::Assign>(&message))
            retire(assign->job, assign->lease, assign->units);
          else if (const auto* more = std::get_if<proto::MoreUnits>(&message))
            retire(more->job, more->lease, more->units);
          else if (const auto* finish = std::get_if<proto::Finish>(&message)) {
            groups[g].send(zmq::buffer(proto::encode(
                proto::WorkerMessage{proto::JobFinished{finish->job, finish->lease}})));
            ++finished;
          }
        }
      }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    fmt::print("h5io-master dispatch: {} units ({} jobs x {}, one slice each) leased and retired "
               "by {} groups with credit {} in {:.3f} s: {:.0f} units/s ({:.1f} units per done "
               "message; journal fsync'ed in {})\n",
               retired, o.jobs, per_job, o.groups, o.credit, seconds,
               static_cast<double>(retired) / seconds,
               static_cast<double>(retired) / static_cast<double>(std::max<int64_t>(messages, 1)),
               o.workdir);
    fmt::print("(submitting the {} jobs, each validated by loading the library, took {:.3f} s)\n",
               o.jobs, submit_seconds);
    for (auto& socket : groups)
      socket.send(zmq::buffer(proto::encode(proto::WorkerMessage{proto::Disconnect{}})));
    status_code = retired == o.units - o.units % o.jobs ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "dispatch bench failed: {} (master log: {})\n", e.what(), log.string());
  }
  kill(master, SIGTERM);
  int wait_status = 0;
  waitpid(master, &wait_status, 0);
  return status_code;
}
