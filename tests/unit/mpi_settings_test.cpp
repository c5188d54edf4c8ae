// Which launches get Open MPI's point-to-point layer pinned to ob1: only
// those whose every rank is on this node (common/mpi/mpi_group.hpp). A job
// spanning nodes must keep the site's transport, so a wrong answer here
// would slow or break multi-node groups.
#include "common/mpi/mpi_group.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

namespace h5io {
namespace {

// Sets the launcher variables for one test and puts the old values back.
class LauncherEnvironment {
public:
  static constexpr const char* kNames[] = {"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_SIZE",
                                           "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"};
  explicit LauncherEnvironment(const std::map<std::string, std::string>& values) {
    for (const char* name : kNames) {
      if (const char* old = std::getenv(name))
        saved_[name] = old;
      else
        saved_[name] = std::nullopt;
      unsetenv(name);
    }
    for (const auto& [name, value] : values) setenv(name.c_str(), value.c_str(), 1);
  }
  ~LauncherEnvironment() {
    for (const auto& [name, value] : saved_) {
      if (value)
        setenv(name.c_str(), value->c_str(), 1);
      else
        unsetenv(name.c_str());
    }
  }
  LauncherEnvironment(const LauncherEnvironment&) = delete;
  LauncherEnvironment& operator=(const LauncherEnvironment&) = delete;

private:
  std::map<std::string, std::optional<std::string>> saved_;
};

TEST(MpiSettings, MpirunOnOneNodeIsOneNode) {
  LauncherEnvironment env({{"OMPI_COMM_WORLD_SIZE", "4"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"}});
  EXPECT_TRUE(MpiSession::all_ranks_on_this_node());
}

TEST(MpiSettings, MpirunAcrossNodesIsNot) {
  LauncherEnvironment env({{"OMPI_COMM_WORLD_SIZE", "8"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"}});
  EXPECT_FALSE(MpiSession::all_ranks_on_this_node());
}

TEST(MpiSettings, ASingletonIsOneNode) {
  LauncherEnvironment env({});
  EXPECT_TRUE(MpiSession::all_ranks_on_this_node());
}

TEST(MpiSettings, OtherLaunchersLeaveItUnknown) {
  for (const char* name : {"PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    LauncherEnvironment env(std::map<std::string, std::string>{{name, "0"}});
    EXPECT_FALSE(MpiSession::all_ranks_on_this_node()) << name;
  }
}

} // namespace
} // namespace h5io
