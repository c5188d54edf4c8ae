#pragma once
// The memory layout the back-projection kernel reads: the filtered, weighted
// projections of 8 slices interleaved as [angle][column][8 slices], so one
// linear interpolation (two 32-byte loads) serves all 8 slices. Each angle's
// row has two extra zero cells after the last column: the right neighbour of
// column cols-1, and the cell that positions off the detector are sent to.
// Rows start on 64-byte boundaries.

#include <cstdint>
#include <memory>
#include <new>

namespace h5io::fbp {

constexpr int kLanes = 8;

class SinogramBlock {
public:
  SinogramBlock(int64_t angles, int64_t cols);

  int64_t angles() const { return angles_; }
  int64_t cols() const { return cols_; }
  int64_t row_floats() const { return row_floats_; } // floats from one angle to the next

  // Column u of angle p, slice `lane`: row(p)[u * kLanes + lane].
  float* row(int64_t p) { return data_.get() + p * row_floats_; }
  const float* row(int64_t p) const { return data_.get() + p * row_floats_; }

  // Offset (in floats) within a row of the always-zero cell.
  int64_t zero_cell() const { return cols_ * kLanes; }

private:
  struct AlignedDelete {
    void operator()(float* p) const { ::operator delete[](p, std::align_val_t(64)); }
  };
  int64_t angles_, cols_, row_floats_;
  std::unique_ptr<float[], AlignedDelete> data_;
};

} // namespace h5io::fbp
