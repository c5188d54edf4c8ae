// GoogleTest main for tests that run under mpirun: every rank runs every test
// in the same order, so collective calls inside tests match up. Only rank 0
// prints the report.
#include "common/hdf5/hdf5_handle.hpp"
#include "common/mpi/mpi_group.hpp"

#include "mpi_test_env.hpp"

#include <gtest/gtest.h>

namespace h5io::test {
bool g_fcoll_pinned = false;
bool g_pml_pinned = false;
} // namespace h5io::test

int main(int argc, char** argv) {
  h5io::MpiSession session(argc, argv);
  h5io::test::g_fcoll_pinned = session.pinned_fcoll();
  h5io::test::g_pml_pinned = session.pinned_pml();
  h5io::hdf5::silence_error_printing();
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int failed = RUN_ALL_TESTS();
  // Any rank's failure fails the run.
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any_failed;
}
