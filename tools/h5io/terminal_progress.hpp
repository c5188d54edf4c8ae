#pragma once
// Progress on stderr: one line redrawn in place on a terminal (slices
// done/total and a rate). `h5io run` draws its read throughput and stays
// silent when stderr is not a terminal; `h5io submit --wait` draws a job
// followed through the master and, when piped, prints a plain line now and
// then instead, so logs show that the job moves.

#include "common/pipeline/pipeline.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace h5io::cli {

class TerminalProgress final : public ProgressListener {
public:
  // `plain_lines`: print occasional plain lines when stderr is not a terminal.
  explicit TerminalProgress(bool plain_lines = false);
  ~TerminalProgress() override;
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;

  void progress(int64_t slices_done, int64_t slices_total, int64_t bytes_read,
                double seconds) override;
  void reslicing(int64_t units_done, int64_t units_total, double seconds) override;
  // A job run by the master: `rate` in slices/s, `eta` in seconds.
  void job(const std::string& id, int64_t slices_done, int64_t slices_total, double rate,
           std::optional<double> eta);
  // A line of its own (a state change), printed above the bar.
  void note(const std::string& line);

private:
  // False when the last draw was too recent to draw again.
  bool due(int64_t slices_done, int64_t slices_total, std::chrono::milliseconds interval);
  void draw(int64_t done, int64_t total, const std::string& what, const std::string& suffix);

  bool terminal_ = false;
  bool plain_lines_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

} // namespace h5io::cli
