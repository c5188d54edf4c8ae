#pragma once
// A work unit's input or output buffer. Left uninitialised: every byte a
// round uses is read or computed into first (the pipeline zeroes the output
// slices it hands the library). Zeroing them here, as std::vector does, made
// the kernel fault in every 4 KiB page up front: 0.2-0.3 s for 68 MiB on the
// 2-core VM, before the first unit was read. Large buffers are also offered
// transparent huge pages, so touching them costs one fault per 2 MiB.

#include <cstddef>
#include <cstdlib>
#include <memory>

namespace h5io {

class UnitBuffer {
public:
  UnitBuffer() = default;
  // Throws std::bad_alloc when the memory is not there.
  explicit UnitBuffer(size_t bytes);

  std::byte* data() { return data_.get(); }
  const std::byte* data() const { return data_.get(); }
  size_t size() const { return size_; }

private:
  struct Free {
    void operator()(std::byte* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<std::byte, Free> data_;
  size_t size_ = 0;
};

} // namespace h5io
