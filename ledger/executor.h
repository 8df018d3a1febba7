// Where the ledger's parallel work runs: the signature checks of a block
// (SignatureVerifier) and the nonce search of a header (NonceSearcher). The ledger owns no
// threads of its own; its owner injects an Executor:
//
//   InlineExecutor  runs everything on the calling thread, in a fixed order: deterministic,
//                   what the simulator uses for thousands of nodes in one process.
//   ThreadPool      (thread_pool.h) a fixed set of worker threads that any number of chains
//                   and searchers may share.
//
// Both users fan one job out into numbered tasks and wait for all of them, the waiting
// thread joining in; TaskGroup does that on any Executor. So an Executor only has to run
// posted closures (post) and say how many threads may usefully work on one job at once
// (concurrency).
//
// Threading: Executor::post and concurrency may be called from any thread at any time. A
// TaskGroup belongs to one thread at a time (its owner calls run and wait); its tasks may
// call skip_rest from whatever thread they run on. Tasks must not throw.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>

namespace tally::ledger {

class Executor {
 public:
  virtual ~Executor() = default;

  // Runs `task` once: later on one of the executor's threads, or (InlineExecutor) now, on
  // the caller. Tasks posted by one thread may run in any order and concurrently.
  virtual void post(std::function<void()> task) = 0;

  // Threads that may work on one job at the same time, counting the thread that waits for
  // it (TaskGroup::wait joins in): 1 for InlineExecutor, workers + 1 for ThreadPool. A
  // shared executor may be busy with other jobs; this is an upper bound, not a promise.
  virtual unsigned concurrency() const = 0;
};

// Runs every task at once on the calling thread. Stateless: one instance may serve any
// number of users on any threads.
class InlineExecutor final : public Executor {
 public:
  void post(std::function<void()> task) override { task(); }
  unsigned concurrency() const override { return 1; }
};

// One job of `count` tasks, task(0) ... task(count - 1), fanned out over an executor. Tasks
// are taken in index order, by up to concurrency() - 1 of the executor's threads from run()
// on and by the owner in wait(); so on InlineExecutor they all run in wait(), in order, on
// the owner's thread. wait() never waits for a task that no thread has taken yet (it runs
// it itself), so a job finishes even when every thread of a shared executor is busy with
// something else, and a task may itself run a TaskGroup on the same executor.
class TaskGroup {
 public:
  // `executor` is not owned and must outlive the group.
  explicit TaskGroup(Executor& executor) : executor_(executor) {}
  // Abandons a running job: skips its tasks not taken yet, waits for those running.
  ~TaskGroup() {
    skip_rest();
    wait();
  }
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Starts a job and returns at once. `task` is called once per index, possibly on several
  // threads at the same time, and never after wait() returns. REQUIRES: no job running (every
  // run() is followed by wait() before the next run()).
  void run(std::size_t count, std::function<void(std::size_t index)> task);

  // Runs on this thread every task of the job no thread has taken yet, then waits for the
  // tasks running elsewhere. Afterwards no task of the job runs or will run. Without a job:
  // returns at once.
  void wait();

  // Tasks not taken yet will not run (here or elsewhere); those running finish. For a job
  // whose answer is known early: a signature that failed, a nonce that was found. Called by
  // a task of the running job (on whatever thread it runs) or by the owner.
  void skip_rest();

 private:
  // Shared with the helpers posted to the executor, which may start (and find nothing left
  // to do) long after wait() returned, so it lives as long as the last of them.
  struct Job {
    std::function<void(std::size_t)> task;
    std::size_t count = 0;
    std::atomic<std::size_t> next{0};  // the next index to take
    std::mutex mu;
    std::condition_variable idle;
    unsigned helping = 0;  // guarded by mu: helpers taking tasks now
    bool closed = false;   // guarded by mu: wait() took the rest; late helpers leave
    void drain();          // takes and runs tasks until none is left
  };
  static void help(const std::shared_ptr<Job>& job);

  Executor& executor_;
  std::shared_ptr<Job> job_;
};

}  // namespace tally::ledger
