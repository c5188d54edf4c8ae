#include "common/pipeline/unit_buffer.hpp"

#include <new>
#include <sys/mman.h>

namespace h5io {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kCacheLine = 64;

} // namespace

UnitBuffer::UnitBuffer(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  // Huge-page aligned (and rounded up to whole huge pages, as aligned_alloc
  // wants a multiple of the alignment) once a buffer spans one.
  const size_t alignment = bytes >= kHugePage ? kHugePage : kCacheLine;
  const size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  data_.reset(static_cast<std::byte*>(std::aligned_alloc(alignment, rounded)));
  if (!data_) throw std::bad_alloc();
  // Advice only: a kernel without transparent huge pages (or with them off)
  // says no, and the buffer works the same with small pages.
  if (alignment == kHugePage) static_cast<void>(::madvise(data_.get(), rounded, MADV_HUGEPAGE));
}

} // namespace h5io
