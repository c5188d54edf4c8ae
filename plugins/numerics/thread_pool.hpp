#pragma once
// A fixed set of threads that run the tasks of one parallel loop at a time.
// The library's calls all arrive on one host thread; the heavy stages of a
// batch (filtering, back-projection) are split into many small independent
// tasks that these threads take in turn. Every task writes its own outputs,
// so results never depend on how many threads ran or which task ran where.

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace h5io::numerics {

class ThreadPool {
public:
  // `threads` workers in all, the calling thread included (so 1 = no extra
  // threads); 0 is taken as 1.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs task(i) for i in [0, count) on the pool and the caller, and returns
  // when all are done. Rethrows the first exception a task threw (the other
  // tasks still finish). Not reentrant: tasks must not call parallel_for.
  void parallel_for(int64_t count, const std::function<void(int64_t)>& task);

private:
  void worker_loop();
  void run_tasks();

  std::mutex mutex_;
  std::condition_variable start_;
  std::condition_variable done_;
  std::vector<std::thread> workers_;
  const std::function<void(int64_t)>* task_ = nullptr;
  int64_t count_ = 0;
  int64_t next_ = 0;       // next task index to hand out (under mutex_)
  int64_t generation_ = 0; // bumped for every parallel_for
  int busy_ = 0;           // workers still inside the current loop
  std::exception_ptr error_;
  bool stopping_ = false;
};

// Threads for one library instance: `requested` when > 0, otherwise this
// node's cores shared among the job's ranks on it (`local_ranks`).
int thread_count(int requested, int local_ranks);

} // namespace h5io::numerics
