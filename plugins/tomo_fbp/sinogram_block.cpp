// See sinogram_block.hpp.
#include "sinogram_block.hpp"

#include <algorithm>

namespace h5io::fbp {

SinogramBlock::SinogramBlock(int64_t angles, int64_t cols)
    : angles_(angles), cols_(cols), row_floats_(((cols + 2 + 1) / 2 * 2) * kLanes) {
  const size_t n = static_cast<size_t>(angles_ * row_floats_);
  data_.reset(static_cast<float*>(::operator new[](n * sizeof(float), std::align_val_t(64))));
  std::fill(data_.get(), data_.get() + n, 0.0f);
}

} // namespace h5io::fbp
