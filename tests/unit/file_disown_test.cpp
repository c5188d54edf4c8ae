// A file let go of (file_disown.hpp): writes through descriptors this
// process still holds no longer reach it, and other files are untouched.
#include "common/hdf5/file_disown.hpp"

#include "scratch_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace h5io {
namespace {

std::string contents(const std::filesystem::path& path) {
  std::string text(64, '\0');
  const int fd = ::open(path.c_str(), O_RDONLY);
  const ssize_t n = fd < 0 ? 0 : ::pread(fd, text.data(), text.size(), 0);
  if (fd >= 0) ::close(fd);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return text;
}

TEST(FileDisown, WritesThroughHeldDescriptorsGoNowhere) {
  test::ScratchDir dir;
  const auto held = dir / "held.h5";
  const auto other = dir / "other.h5";
  const int fd = ::open(held.c_str(), O_RDWR | O_CREAT, 0644);
  const int second = ::open(held.c_str(), O_RDWR);
  const int unrelated = ::open(other.c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_TRUE(fd >= 0 && second >= 0 && unrelated >= 0);
  ASSERT_EQ(::pwrite(fd, "superblock", 10, 0), 10);
  const std::optional<FileIdentity> identity = identity_of(held);
  ASSERT_TRUE(identity);
  EXPECT_FALSE(identity_of(dir / "missing"));

  // Another group renames the file and finishes it; this one lets go.
  std::filesystem::rename(held, dir / "final.h5");
  EXPECT_EQ(redirect_descriptors(*identity), 2);
  // The stale close's writes and truncation land nowhere...
  EXPECT_EQ(::pwrite(fd, "STALE", 5, 0), 5);
  EXPECT_EQ(::ftruncate(second, 2), 0);
  EXPECT_EQ(::pwrite(unrelated, "kept", 4, 0), 4);
  EXPECT_EQ(::close(fd), 0);
  EXPECT_EQ(::close(second), 0);
  ::close(unrelated);
  // ... and the file is as the other group left it.
  EXPECT_EQ(contents(dir / "final.h5"), "superblock");
  EXPECT_EQ(contents(other), "kept");
  EXPECT_EQ(redirect_descriptors(*identity), 0); // nothing left to let go of
}

} // namespace
} // namespace h5io
