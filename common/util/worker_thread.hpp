#pragma once
// A thread of its own that runs submitted tasks one at a time, in order.
// The pipeline makes every call into a processing library through one (the
// library sees a single thread for its whole life: a GPU library binds its
// device in h5io_init), while the main thread keeps HDF5 and MPI to itself;
// input reads use one to reorder data while HDF5 reads the next chunks.

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>

namespace h5io {

class WorkerThread {
public:
  WorkerThread();
  ~WorkerThread();
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  // Queues `task`; the future carries its result or its exception.
  template <class Task> auto submit(Task&& task) -> std::future<std::invoke_result_t<Task>> {
    using Result = std::invoke_result_t<Task>;
    auto packaged = std::make_shared<std::packaged_task<Result()>>(std::forward<Task>(task));
    std::future<Result> result = packaged->get_future();
    enqueue([packaged] { (*packaged)(); });
    return result;
  }

  // Runs `task` on the worker thread and waits for it.
  template <class Task> auto call(Task&& task) -> std::invoke_result_t<Task> {
    return submit(std::forward<Task>(task)).get();
  }

private:
  void enqueue(std::function<void()> task);
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace h5io
