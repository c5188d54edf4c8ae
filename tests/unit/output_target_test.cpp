#include "common/pipeline/output_target.hpp"
#include "common/util/error.hpp"

#include "scratch_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace h5io;

namespace {
std::string error_of(const std::filesystem::path& output, bool overwrite,
                     const std::filesystem::path& input = "/nonexistent-input.h5") {
  try {
    OutputTarget target(output, overwrite, input);
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}
} // namespace

TEST(OutputTarget, WritesBesideTheFinalNameAndRenamesOnCommit) {
  test::ScratchDir dir;
  OutputTarget target(dir / "out.h5", false, dir / "in.h5");
  EXPECT_EQ(target.partial_path(), dir / "out.h5.partial");
  std::ofstream(target.partial_path()) << "data";
  target.commit();
  EXPECT_TRUE(std::filesystem::exists(dir / "out.h5"));
  EXPECT_FALSE(std::filesystem::exists(target.partial_path()));
}

TEST(OutputTarget, DiscardRemovesOnlyTheTemporaryFile) {
  test::ScratchDir dir;
  std::ofstream(dir / "out.h5") << "old result";
  OutputTarget target(dir / "out.h5", true, dir / "in.h5");
  std::ofstream(target.partial_path()) << "half a result";
  target.claim_partial();
  target.discard();
  EXPECT_FALSE(std::filesystem::exists(target.partial_path()));
  std::ifstream old(dir / "out.h5");
  std::string text;
  std::getline(old, text);
  EXPECT_EQ(text, "old result") << "a failed --overwrite run keeps the old output";
}

TEST(OutputTarget, DiscardLeavesAPartialFileANewerLeaseCreated) {
  // A group that lost its lease while stopped must not delete the partial
  // output the group that took over created under the same name.
  test::ScratchDir dir;
  OutputTarget stale(dir / "out.h5", false, dir / "in.h5");
  std::ofstream(stale.partial_path()) << "stale";
  stale.claim_partial();
  std::ifstream still_open(stale.partial_path()); // as the stale group holds it
  OutputTarget newer(dir / "out.h5", false, dir / "in.h5");
  newer.clear_partial();
  EXPECT_FALSE(std::filesystem::exists(newer.partial_path()));
  std::ofstream(newer.partial_path()) << "newer";
  newer.claim_partial();
  stale.discard();
  ASSERT_TRUE(std::filesystem::exists(newer.partial_path()));
  std::string text;
  std::getline(std::ifstream(newer.partial_path()) >> std::ws, text);
  EXPECT_EQ(text, "newer");
  newer.discard();
  EXPECT_FALSE(std::filesystem::exists(newer.partial_path()));
  newer.clear_partial(); // nothing there: not an error
}

TEST(OutputTarget, RefusesWhatWouldLoseDataOrCannotWork) {
  test::ScratchDir dir;
  std::ofstream(dir / "exists.h5") << "x";
  std::filesystem::create_directory(dir / "sub");
  EXPECT_EQ(error_of(dir / "exists.h5", false),
            "output '" + (dir / "exists.h5").string() +
                "' already exists; pass --overwrite to replace it");
  EXPECT_EQ(error_of(dir / "exists.h5", true), "accepted");
  EXPECT_EQ(error_of(dir / "missing/out.h5", false),
            "output directory '" + (dir / "missing").string() + "' does not exist");
  EXPECT_EQ(error_of(dir / "exists.h5/out.h5", false),
            "output directory '" + (dir / "exists.h5").string() + "' is not a directory");
  EXPECT_EQ(error_of(dir / "sub", true), "output '" + (dir / "sub").string() + "' is a directory");
  EXPECT_EQ(error_of(dir / "exists.h5", true, dir / "exists.h5"),
            "output '" + (dir / "exists.h5").string() +
                "' is the input file; choose another output name");
}
