// A fixed set of worker threads behind the Executor interface (executor.h), for a daemon's
// signature checks and nonce search, or shared by many chains and searchers at once (a
// simulator's thousand nodes, two chains connecting blocks on two threads): every job keeps
// its own state in its TaskGroup, so jobs of different owners never mix, and a job whose
// owner waits never depends on a worker being free (the owner runs what nobody took).
//
// Threading: post() and concurrency() may be called from any thread, including a worker.
// The destructor runs every task already posted, then joins the workers; nothing may post
// after it has started. Tasks run in the order posted when one worker is free, otherwise
// concurrently.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "ledger/executor.h"

namespace tally::ledger {

class ThreadPool final : public Executor {
 public:
  // Starts `workers` threads (at least one), named `name` (at most 15 characters, shown by
  // top -H and /proc/PID/task/*/comm).
  explicit ThreadPool(unsigned workers, const char* name = "tally-pool");
  ~ThreadPool() override;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void post(std::function<void()> task) override;
  unsigned concurrency() const override { return workers() + 1; }
  unsigned workers() const { return static_cast<unsigned>(threads_.size()); }

 private:
  void work();

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace tally::ledger
