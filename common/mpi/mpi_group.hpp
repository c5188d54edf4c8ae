#pragma once
// MPI for h5io: the session (init/finalize, with the MPI-IO layer pinned) and
// the group communicator with the few collective helpers the pipeline needs.

#include <mpi.h>

#include <cstdint>
#include <optional>
#include <string>

namespace h5io {

// Open MPI's default collective-I/O component (OMPIO fcoll "vulcan") has
// reported hangs and silent corruption with collective HDF5 writes
// (open-mpi/ompi#7109, #12718; HDFGroup/hdf5#1227). Unless the user chose an
// I/O layer (OMPI_MCA_io or OMPI_MCA_fcoll), h5io pins this component, which
// tests/mpi/collective_write_test proves by read-back checksums.
inline constexpr const char* kPinnedFcoll = "dynamic_gen2";

// Open MPI picks its point-to-point layer at MPI_Init by probing every
// network it was built for (UCX, PSM, PSM2, OFI): 0.2 s of the 0.26 s
// MPI_Init took on the 2-core VM, for networks a job on one node never uses.
// When every rank is on this node (mpirun says so, or a singleton), and the
// user chose no layer (OMPI_MCA_pml), h5io pins ob1, Open MPI's shared-memory
// path (btl vader), which is what the probe ends up with on one node anyway.
// Jobs spanning nodes keep Open MPI's choice (UCX on InfiniBand).
inline constexpr const char* kOneNodePml = "ob1";

class MpiSession {
public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  // An Open MPI control variable's value ("fcoll", "pml"), read back through
  // MPI_T ("" means Open MPI picks its default). MPI_T registers every
  // component's variables first: about 0.2 s, so tests only, not every job.
  static std::string setting_in_effect(const char* name);
  // Whether every rank of this job runs on this node, from the environment
  // a launcher gives each process before MPI_Init: mpirun's
  // OMPI_COMM_WORLD_SIZE equals OMPI_COMM_WORLD_LOCAL_SIZE, or no launcher
  // at all (a singleton). Others (srun, PMI) leave it unknown: false.
  static bool all_ranks_on_this_node();
  // Whether h5io pinned each setting, and a line saying what is in effect.
  bool pinned_fcoll() const { return pinned_fcoll_; }
  bool pinned_pml() const { return pinned_pml_; }
  std::string settings_text() const;

private:
  bool pinned_fcoll_ = false;
  bool pinned_pml_ = false;
};

// A group of ranks working on one job (MPI_COMM_WORLD for `h5io run`).
class Group {
public:
  // Selects the constructor of a group of one that never calls MPI.
  struct Solo {};

  explicit Group(MPI_Comm comm = MPI_COMM_WORLD);
  // A group of this process alone, usable where MPI was never initialised
  // (the master checks jobs serially): every collective is local, and files
  // are opened with HDF5's default driver instead of MPI-IO.
  explicit Group(Solo);
  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  MPI_Comm comm() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }
  bool is_root() const { return rank_ == 0; }
  bool is_solo() const { return comm_ == MPI_COMM_NULL; }

  // Collective. Every rank passes its own error (or nothing); if any rank
  // failed, every rank throws Error with the text of the lowest failing rank,
  // so all ranks leave a collective section together instead of deadlocking.
  void agree(const std::optional<std::string>& local_error) const;

  int64_t sum(int64_t value) const;
  double max(double value) const;
  std::string broadcast(const std::string& text, int root) const;
  // The same, for ranks that may wait long for the root (idle workers wait
  // for the master's next command): Open MPI's blocking broadcast spins at
  // 100% CPU, which starves the master and the busy ranks sharing the cores.
  // This one tests a non-blocking broadcast and sleeps 1 ms, growing to 4 ms,
  // between tests, so a waiting rank costs next to nothing and answers within
  // a few milliseconds.
  std::string broadcast_patiently(const std::string& text, int root) const;
  void barrier() const;

private:
  MPI_Comm comm_;
  MPI_Comm node_comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;
};

// Runs a step that may throw on some ranks only, then agrees: afterwards
// either every rank succeeded or every rank throws the same Error.
template <class Step> void collectively(const Group& group, Step&& step) {
  std::optional<std::string> error;
  try {
    step();
  } catch (const std::exception& e) {
    error = e.what();
  }
  group.agree(error);
}

} // namespace h5io
