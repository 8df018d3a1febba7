// support::proc_status: memory and CPU figures of a process from /proc, for the benchmarks
// and tally-sim's cost report. A thread's name and its CPU time are read back; a process
// that does not exist reads as unavailable, never as zero.
#include <gtest/gtest.h>

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "support/proc_status.h"

namespace tally::support {
namespace {

TEST(ProcStatus, ThreadsAreListedByNameWithTheirCpuTime) {
  std::atomic<bool> stop{false};
  std::atomic<bool> named{false};
  std::thread busy([&] {
    ::pthread_setname_np(::pthread_self(), "tally (busy) 1");  // a space and parentheses in the name
    named = true;
    while (!stop) {
    }
  });
  while (!named) std::this_thread::yield();
  const auto before = proc_cpu_seconds(0);
  ASSERT_TRUE(before);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto threads = proc_thread_cpu(0);
  const double used = proc_cpu_seconds_since(0, before);
  stop = true;
  busy.join();

  ASSERT_GE(threads.size(), 2u);
  const ThreadCpu* found = nullptr;
  for (const auto& t : threads)
    if (t.name == "tally (busy) 1") found = &t;
  ASSERT_NE(found, nullptr) << "the named thread is listed under its name";
  EXPECT_GT(found->seconds, 0.0);
  for (std::size_t i = 1; i < threads.size(); ++i) EXPECT_GE(threads[i - 1].seconds, threads[i].seconds);
  EXPECT_GT(used, 0.0);
  EXPECT_TRUE(proc_status_kib(0, "VmRSS").has_value());
}

TEST(ProcStatus, AProcessThatDoesNotExistIsUnavailable) {
  constexpr pid_t kNoSuchPid = 0x3fffffff;  // above the kernel's pid limit
  EXPECT_TRUE(proc_thread_cpu(kNoSuchPid).empty());
  EXPECT_FALSE(proc_cpu_seconds(kNoSuchPid).has_value());
  EXPECT_EQ(proc_cpu_seconds_since(kNoSuchPid, 1.0), -1.0);
  EXPECT_EQ(proc_cpu_seconds_since(0, std::nullopt), -1.0);
  EXPECT_FALSE(proc_status_kib(kNoSuchPid, "VmRSS").has_value());
}

}  // namespace
}  // namespace tally::support
