#include "common/mpi/mpi_group.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>

#include <hdf5.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace h5io {

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

} // namespace

bool MpiSession::all_ranks_on_this_node() {
  const char* world = std::getenv("OMPI_COMM_WORLD_SIZE");
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  if (world != nullptr && local != nullptr) return std::strcmp(world, local) == 0;
  return world == nullptr && std::getenv("PMIX_RANK") == nullptr &&
         std::getenv("PMI_RANK") == nullptr && std::getenv("SLURM_PROCID") == nullptr;
}

MpiSession::MpiSession(int& argc, char**& argv) {
  // Must happen before MPI_Init: Open MPI reads OMPI_MCA_* once, at init.
  if (std::getenv("OMPI_MCA_io") == nullptr && std::getenv("OMPI_MCA_fcoll") == nullptr) {
    setenv("OMPI_MCA_fcoll", kPinnedFcoll, 0);
    pinned_fcoll_ = true;
  }
  if (std::getenv("OMPI_MCA_pml") == nullptr && all_ranks_on_this_node()) {
    setenv("OMPI_MCA_pml", kOneNodePml, 0);
    pinned_pml_ = true;
  }
  int provided = 0;
  // All HDF5 (and so all MPI) calls stay on the main thread; the library
  // thread never calls MPI.
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  // HDF5 closes what is still open at exit, which is after MPI_Finalize:
  // a file whose close failed (its disk was full) would then crash the
  // process in HDF5's exit handler. Closing HDF5 while MPI still runs lets
  // that last attempt fail quietly instead.
  H5close();
  MPI_Finalize();
}

std::string MpiSession::settings_text() const {
  // From the environment Open MPI read at init, not MPI_T (see the header).
  const std::string io = env_or("OMPI_MCA_io", "");
  return fmt::format("MPI-IO collective component '{}' ({}), point-to-point layer '{}' ({})",
                     io.empty() ? env_or("OMPI_MCA_fcoll", "default") : "io=" + io,
                     pinned_fcoll_ ? "pinned by h5io" : "chosen by the environment",
                     env_or("OMPI_MCA_pml", "default"),
                     pinned_pml_ ? "pinned by h5io: all ranks on one node"
                                 : "chosen by the environment");
}

std::string MpiSession::setting_in_effect(const char* wanted) {
  int provided = 0;
  if (MPI_T_init_thread(MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS) return "";
  std::string value;
  int count = 0;
  MPI_T_cvar_get_num(&count);
  for (int i = 0; i < count; ++i) {
    char name[256];
    int name_len = sizeof(name);
    char desc[8];
    int desc_len = sizeof(desc);
    int verbosity = 0, bind = 0, scope = 0;
    MPI_Datatype type = MPI_DATATYPE_NULL;
    MPI_T_enum enumtype = MPI_T_ENUM_NULL;
    if (MPI_T_cvar_get_info(i, name, &name_len, &verbosity, &type, &enumtype, desc, &desc_len,
                            &bind, &scope) != MPI_SUCCESS)
      continue;
    if (std::strcmp(name, wanted) != 0 || type != MPI_CHAR) continue;
    MPI_T_cvar_handle handle = MPI_T_CVAR_HANDLE_NULL;
    int elements = 0;
    if (MPI_T_cvar_handle_alloc(i, nullptr, &handle, &elements) == MPI_SUCCESS) {
      std::vector<char> buffer(static_cast<size_t>(elements > 0 ? elements : 1) + 256, '\0');
      if (MPI_T_cvar_read(handle, buffer.data()) == MPI_SUCCESS) value = buffer.data();
      MPI_T_cvar_handle_free(&handle);
    }
    break;
  }
  MPI_T_finalize();
  return value;
}

Group::Group(MPI_Comm comm) : comm_(comm) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  // Ranks sharing a node: a GPU library picks its device by local rank.
  MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_comm_);
  MPI_Comm_rank(node_comm_, &local_rank_);
  MPI_Comm_size(node_comm_, &local_size_);
}

Group::Group(Solo) : comm_(MPI_COMM_NULL) {}

Group::~Group() {
  if (node_comm_ != MPI_COMM_NULL) MPI_Comm_free(&node_comm_);
}

void Group::agree(const std::optional<std::string>& local_error) const {
  if (is_solo()) {
    if (local_error) throw Error(*local_error);
    return;
  }
  const int mine = local_error ? rank_ : size_;
  int first_failed = size_;
  MPI_Allreduce(&mine, &first_failed, 1, MPI_INT, MPI_MIN, comm_);
  if (first_failed == size_) return;
  std::string text = broadcast(local_error ? *local_error : std::string(), first_failed);
  throw Error(text);
}

int64_t Group::sum(int64_t value) const {
  if (is_solo()) return value;
  int64_t total = 0;
  MPI_Allreduce(&value, &total, 1, MPI_INT64_T, MPI_SUM, comm_);
  return total;
}

double Group::max(double value) const {
  if (is_solo()) return value;
  double result = 0;
  MPI_Allreduce(&value, &result, 1, MPI_DOUBLE, MPI_MAX, comm_);
  return result;
}

std::string Group::broadcast(const std::string& text, int root) const {
  if (is_solo()) return text;
  int64_t length = static_cast<int64_t>(text.size());
  MPI_Bcast(&length, 1, MPI_INT64_T, root, comm_);
  std::string result = rank_ == root ? text : std::string(static_cast<size_t>(length), '\0');
  if (length > 0) MPI_Bcast(result.data(), static_cast<int>(length), MPI_CHAR, root, comm_);
  return result;
}

std::string Group::broadcast_patiently(const std::string& text, int root) const {
  if (is_solo()) return text;
  int64_t length = static_cast<int64_t>(text.size());
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Ibcast(&length, 1, MPI_INT64_T, root, comm_, &request);
  auto pause = std::chrono::microseconds(1000);
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(4000));
  }
  // Once the length is known every rank is here: the text follows at once.
  std::string result = rank_ == root ? text : std::string(static_cast<size_t>(length), '\0');
  if (length > 0) MPI_Bcast(result.data(), static_cast<int>(length), MPI_CHAR, root, comm_);
  return result;
}

void Group::barrier() const {
  if (!is_solo()) MPI_Barrier(comm_);
}

} // namespace h5io
