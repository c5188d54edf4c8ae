// h5io status: the master's jobs and worker groups, once or live.
#include "client_options.hpp"
#include "commands.hpp"
#include "master_connection.hpp"
#include "status_follower.hpp"
#include "status_view.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <unistd.h>

namespace h5io::cli {

namespace {

struct StatusOptions {
  MasterOptions where;
  bool follow = false;
  bool json = false;
};

// Until Ctrl-C. On a terminal the tables are redrawn in place; otherwise
// (or with --json) each event is one line, so the output is a log.
int follow(const StatusOptions& options, zmq::context_t& context, const MasterConnection& master) {
  catch_interrupts();
  StatusFollower follower(
      context, options.where.status_endpoint(), [&master] { return master.snapshot(); },
      options.where.timeout_ms());
  const bool redraw = !options.json && isatty(STDOUT_FILENO) == 1;
  int snapshots = 0;
  while (!interrupted()) {
    const auto events = follower.poll(std::chrono::milliseconds(250));
    const bool resynced = follower.snapshots() != snapshots;
    snapshots = follower.snapshots();
    if (redraw && (!events.empty() || resynced)) {
      fmt::print("\x1b[H\x1b[2J{}\nfollowing {} (epoch {}, seq {}); Ctrl-C to stop\n",
                 format_tables(follower.table()), options.where.status_endpoint(), follower.epoch(),
                 follower.seq());
    } else if (!redraw) {
      if (resynced && options.json)
        fmt::print("{}\n", proto::encode(follower.last_snapshot()));
      else if (resynced)
        fmt::print("-- snapshot: epoch {}, seq {}\n{}", follower.epoch(), follower.seq(),
                   format_tables(follower.table()));
      for (const proto::Event& event : events)
        fmt::print("{}\n", options.json ? event_json(event) : format_event(event));
    }
    std::fflush(stdout);
  }
  return 0;
}

int status(const StatusOptions& options) {
  zmq::context_t context;
  const MasterConnection master(context, options.where.master, options.where.timeout_ms());
  if (options.follow) return follow(options, context, master);
  if (options.json) {
    const std::string frame = master.snapshot_frame();
    proto::parse_snapshot(frame); // a rejection or a malformed reply is an error
    fmt::print("{}\n", frame);
  } else {
    JobTable table;
    table.load(master.snapshot());
    fmt::print("{}", format_tables(table));
  }
  return 0;
}

} // namespace

Command add_status_command(CLI::App& app) {
  auto options = std::make_shared<StatusOptions>();
  CLI::App* cmd = app.add_subcommand(
      "status", "Show the h5io master's jobs and worker groups (--follow: live)");
  add_master_options(*cmd, options->where);
  cmd->add_flag("--follow,-f", options->follow,
                "Keep the view up to date from the status endpoint until Ctrl-C");
  cmd->add_flag("--json", options->json,
                "Print the master's snapshot as JSON (with --follow: then one JSON event per "
                "line)");
  return [options] { return run_client([&] { return status(*options); }); };
}

} // namespace h5io::cli
