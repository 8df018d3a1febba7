// Executors (executor.h, thread_pool.h): InlineExecutor runs a job's tasks in index order on
// the owner's thread, in wait(); a ThreadPool runs every task of every job exactly once,
// also when many owners on many threads share it; a job never waits for a busy pool; a task
// may run a job of its own on the same pool; skip_rest stops a job early; and the pool's
// destructor runs what was posted.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "ledger/executor.h"
#include "ledger/thread_pool.h"

namespace tally::ledger {
namespace {

TEST(InlineExecutor, RunsAJobInOrderOnTheOwnersThreadInWait) {
  InlineExecutor executor;
  EXPECT_EQ(executor.concurrency(), 1u);
  TaskGroup group(executor);
  std::vector<std::size_t> order;
  std::vector<std::thread::id> threads;
  group.run(50, [&](std::size_t i) {
    order.push_back(i);
    threads.push_back(std::this_thread::get_id());
  });
  EXPECT_TRUE(order.empty()) << "nothing runs before wait()";
  group.wait();
  ASSERT_EQ(order.size(), 50u);
  for (std::size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(order[i], i);
    EXPECT_EQ(threads[i], std::this_thread::get_id());
  }
  // post() runs at once, on the caller.
  bool ran = false;
  executor.post([&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(InlineExecutor, SkipRestStopsTheJobAfterTheCurrentTask) {
  InlineExecutor executor;
  TaskGroup group(executor);
  std::vector<std::size_t> ran;
  group.run(10, [&](std::size_t i) {
    ran.push_back(i);
    if (i == 3) group.skip_rest();
  });
  group.wait();
  EXPECT_EQ(ran, (std::vector<std::size_t>{0, 1, 2, 3}));
  // The group runs the next job normally.
  ran.clear();
  group.run(2, [&](std::size_t i) { ran.push_back(i); });
  group.wait();
  EXPECT_EQ(ran, (std::vector<std::size_t>{0, 1}));
}

TEST(ThreadPool, RunsEveryTaskOfAJobExactlyOnce) {
  ThreadPool pool(2);
  EXPECT_EQ(pool.workers(), 2u);
  EXPECT_EQ(pool.concurrency(), 3u);
  TaskGroup group(pool);
  for (const std::size_t count : {0u, 1u, 2u, 3u, 1000u}) {
    std::vector<std::atomic<int>> hits(count);
    group.run(count, [&](std::size_t i) { hits[i].fetch_add(1); });
    group.wait();
    for (std::size_t i = 0; i < count; ++i) ASSERT_EQ(hits[i].load(), 1) << "task " << i << " of " << count;
  }
}

// Many owners on several threads, each with jobs of its own, on one pool: no task is lost,
// run twice, or run for the wrong job.
TEST(ThreadPool, SharedByOwnersOnSeveralThreads) {
  ThreadPool pool(2);
  constexpr int kOwners = 4;
  constexpr int kJobs = 200;
  constexpr std::size_t kTasks = 64;
  std::vector<std::thread> owners;
  std::atomic<int> failures{0};
  for (int o = 0; o < kOwners; ++o) {
    owners.emplace_back([&, o] {
      TaskGroup group(pool);
      for (int j = 0; j < kJobs; ++j) {
        std::vector<std::atomic<int>> hits(kTasks);
        const int tag = o * kJobs + j;
        std::atomic<int> wrong{0};
        group.run(kTasks, [&, tag](std::size_t i) {
          if (tag != o * kJobs + j) wrong.fetch_add(1);
          hits[i].fetch_add(1);
        });
        group.wait();
        for (auto& h : hits)
          if (h.load() != 1) failures.fetch_add(1);
        failures.fetch_add(wrong.load());
      }
    });
  }
  for (auto& t : owners) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// Every worker is stuck in someone else's long task: a job still finishes, on its owner.
TEST(ThreadPool, AJobDoesNotWaitForBusyWorkers) {
  ThreadPool pool(1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> blocked;
  pool.post([&, released] {
    blocked.set_value();
    released.wait();
  });
  blocked.get_future().wait();  // the only worker is busy now
  TaskGroup group(pool);
  std::vector<std::thread::id> threads(8);
  group.run(threads.size(), [&](std::size_t i) { threads[i] = std::this_thread::get_id(); });
  group.wait();
  for (const auto& id : threads) EXPECT_EQ(id, std::this_thread::get_id());
  release.set_value();
}

// A task that runs a job of its own on the same pool (all workers busy in the outer job).
TEST(ThreadPool, ATaskMayRunAJobOnTheSamePool) {
  ThreadPool pool(2);
  TaskGroup outer(pool);
  std::atomic<int> inner_tasks{0};
  outer.run(6, [&](std::size_t) {
    TaskGroup inner(pool);
    inner.run(10, [&](std::size_t) { inner_tasks.fetch_add(1); });
    inner.wait();
  });
  outer.wait();
  EXPECT_EQ(inner_tasks.load(), 60);
}

// skip_rest from a task on a worker: tasks after it are not run once it returns.
TEST(ThreadPool, SkipRestFromAWorkerStopsTheJob) {
  ThreadPool pool(2);
  TaskGroup group(pool);
  std::atomic<std::size_t> ran{0};
  constexpr std::size_t kCount = 1'000'000;
  group.run(kCount, [&](std::size_t i) {
    ran.fetch_add(1);
    if (i == 100) group.skip_rest();
  });
  group.wait();
  EXPECT_GE(ran.load(), 101u);
  EXPECT_LT(ran.load(), kCount);
}

TEST(ThreadPool, DestructorRunsWhatWasPosted) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(1);
    for (int i = 0; i < 100; ++i) pool.post([&] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 100);
}

TEST(ThreadPool, AtLeastOneWorker) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.workers(), 1u);
  std::promise<std::thread::id> where;
  pool.post([&] { where.set_value(std::this_thread::get_id()); });
  EXPECT_NE(where.get_future().get(), std::this_thread::get_id());
}

}  // namespace
}  // namespace tally::ledger
