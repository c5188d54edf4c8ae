#pragma once
// A schedule for tests: the given units, one per rank per round, in order,
// recording what the pipeline tells it about written rounds.

#include "common/pipeline/pipeline.hpp"

#include <functional>
#include <optional>
#include <vector>

namespace h5io::test {

class ListSchedule final : public UnitSchedule {
public:
  ListSchedule(std::vector<Unit> units, const Group& group)
      : units_(std::move(units)), group_(group) {}

  bool next_round(std::optional<Unit>& mine) override {
    mine.reset();
    const size_t begin = round_ * static_cast<size_t>(group_.size());
    if (begin >= units_.size()) return false;
    const size_t index = begin + static_cast<size_t>(group_.rank());
    if (index < units_.size()) mine = units_[index];
    ++round_;
    return true;
  }

  // Flushes after the last round, as a worker does before reporting.
  void round_written(const std::function<void()>& flush_output, bool last) override {
    ++rounds_written;
    if (last) {
      ++last_calls;
      flush_output();
    }
  }

  size_t rounds_handed_out() const { return round_; }
  size_t rounds_written = 0;
  size_t last_calls = 0;

private:
  std::vector<Unit> units_;
  const Group& group_;
  size_t round_ = 0;
};

} // namespace h5io::test
