// Reserving an output's space up front: the space is really allocated, and
// a refusal (here a file-size limit, as `ulimit -f` sets) says why in words.

#include "common/pipeline/space_reservation.hpp"
#include "common/util/error.hpp"

#include "scratch_dir.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sys/resource.h>

using namespace h5io;

namespace {

std::string error_of(const std::filesystem::path& path, int64_t bytes) {
  try {
    reserve_file_space(path, bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "reserved";
}

// Lowers this process's file-size limit for one scope (SIGXFSZ ignored, as
// the worker ignores it), and puts both back.
class FileSizeLimit {
public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    previous_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lowered);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

private:
  rlimit saved_{};
  void (*previous_)(int) = nullptr;
};

} // namespace

TEST(SpaceReservation, AllocatesTheWholeSize) {
  test::ScratchDir dir;
  const auto path = dir / "out.h5.partial";
  std::ofstream(path) << "HDF";
  EXPECT_EQ(error_of(path, 3 << 20), "reserved");
  EXPECT_EQ(std::filesystem::file_size(path), 3u << 20);
  reserve_file_space(path, 1 << 20); // never shrinks
  EXPECT_EQ(std::filesystem::file_size(path), 3u << 20);
}

TEST(SpaceReservation, AFileSizeLimitIsNamed) {
  test::ScratchDir dir;
  const auto path = dir / "out.h5.partial";
  std::ofstream(path) << "HDF";
  std::string error;
  {
    const FileSizeLimit limit(64 << 10);
    error = error_of(path, 1 << 20);
  }
  EXPECT_EQ(error, "cannot reserve 1.0 MiB for the output '" + path.string() +
                       "': File too large (this process may write files of at most 64.0 KiB: "
                       "its file-size limit, see `ulimit -f`)");
  EXPECT_LT(std::filesystem::file_size(path), 64u << 10) << "nothing was half-reserved";
}

TEST(SpaceReservation, AMissingFileIsNamed) {
  test::ScratchDir dir;
  EXPECT_EQ(error_of(dir / "gone.h5", 100),
            "cannot open the output '" + (dir / "gone.h5").string() +
                "' to reserve its space: No such file or directory");
}

TEST(SpaceReservation, SizesReadAsPeopleWriteThem) {
  EXPECT_EQ(byte_size_text(512), "512 bytes");
  EXPECT_EQ(byte_size_text(64 << 10), "64.0 KiB");
  EXPECT_EQ(byte_size_text((int64_t{3} << 30) / 2), "1.5 GiB");
}
