// h5io status: the master's jobs and worker groups, once or live.
#include "client_options.hpp"
#include "commands.hpp"
#include "live_status.hpp"
#include "master_connection.hpp"
#include "status_follower.hpp"
#include "status_view.hpp"
#include "terminal.hpp"

#include <fmt/format.h>

#include <chrono>
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

// Redraws the live view (live_status.hpp) in place until Ctrl-C: on news,
// at most every kMinRedraw (a burst of progress events must not make the
// terminal the bottleneck), and at least every kMaxRedraw so ETAs and
// "last event ... ago" keep ticking while nothing happens.
void follow_live(const StatusOptions& options, StatusFollower& follower) {
  using Clock = LiveStatus::Clock;
  constexpr auto kMinRedraw = std::chrono::milliseconds(100);
  constexpr auto kMaxRedraw = std::chrono::milliseconds(1000);
  LiveStatus view(options.where.master);
  // Declared after catch_interrupts(): Ctrl-C ends the loop, and the
  // screen's destructor shows the cursor again on every way out.
  TerminalScreen screen(stdout);
  int snapshots = 0;
  bool news = true;
  Clock::time_point drawn{};
  while (!interrupted()) {
    const auto events = follower.poll(kMinRedraw);
    const auto now = Clock::now();
    if (!events.empty() || follower.snapshots() != snapshots) {
      view.heard(events, now);
      news = true;
    }
    snapshots = follower.snapshots();
    if ((news && now - drawn >= kMinRedraw) || now - drawn >= kMaxRedraw) {
      screen.draw(view.frame(follower.table(), follower.epoch(), now));
      drawn = now;
      news = false;
    }
  }
}

// Until Ctrl-C. On a terminal the view is redrawn in place; otherwise (or
// with --json) each event is one line, so the output is a log.
int follow(const StatusOptions& options, zmq::context_t& context, const MasterConnection& master) {
  catch_interrupts();
  StatusFollower follower(
      context, options.where.status_endpoint(), [&master] { return master.snapshot(); },
      options.where.timeout_ms(), master.curve());
  if (!options.json && isatty(STDOUT_FILENO) == 1) {
    follow_live(options, follower);
    return 0;
  }
  int snapshots = 0;
  while (!interrupted()) {
    const auto events = follower.poll(std::chrono::milliseconds(250));
    const bool resynced = follower.snapshots() != snapshots;
    snapshots = follower.snapshots();
    if (resynced && options.json)
      fmt::print("{}\n", proto::encode(follower.last_snapshot()));
    else if (resynced)
      fmt::print("-- snapshot: epoch {}, seq {}\n{}", follower.epoch(), follower.seq(),
                 format_tables(follower.table()));
    for (const proto::Event& event : events)
      fmt::print("{}\n", options.json ? event_json(event) : format_event(event));
    std::fflush(stdout);
  }
  return 0;
}

int status(const StatusOptions& options) {
  zmq::context_t context;
  const MasterConnection master(context, options.where.master, options.where.timeout_ms(),
                                options.where.curve());
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
