#pragma once
// Progress of `h5io run` on a terminal: one line redrawn in place (slices
// done/total, read throughput). Silent when stderr is not a terminal.

#include "common/pipeline.hpp"

#include <chrono>

namespace h5io::cli {

class TerminalProgress final : public ProgressListener {
public:
  TerminalProgress();
  ~TerminalProgress() override;
  void progress(int64_t slices_done, int64_t slices_total, int64_t bytes_read,
                double seconds) override;

private:
  bool terminal_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

} // namespace h5io::cli
