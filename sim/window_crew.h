// Runs a simulation's lanes side by side, one window of virtual time after another:
// run(count, f) calls f(0) ... f(count - 1), each once, on the caller's thread and the crew's
// threads (whoever is free takes the next lane, so a busy lane does not hold up the others),
// and returns when every call has returned. The threads live as long as the crew and wait for
// the next window in between (a short spin, then a futex wait), so a window costs two
// hand-overs, not a thread start. run() is called from one thread only; f must not throw.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace tally::sim {

class WindowCrew {
 public:
  // `threads` counts the caller's: a crew of 2 starts one thread.
  explicit WindowCrew(std::size_t threads) {
    try {
      for (std::size_t i = 1; i < threads; ++i) threads_.emplace_back([this] { serve(); });
    } catch (...) {
      stop();  // a thread that cannot start: those that did are joined, then the error goes on
      throw;
    }
  }
  ~WindowCrew() { stop(); }
  WindowCrew(const WindowCrew&) = delete;
  WindowCrew& operator=(const WindowCrew&) = delete;

  void run(std::size_t count, const std::function<void(std::size_t)>& f) {
    work_ = &f;
    count_ = count;
    next_.store(0, std::memory_order_relaxed);
    pending_.store(static_cast<std::uint32_t>(threads_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    take_lanes();
    for (;;) {
      std::uint32_t left = pending_.load(std::memory_order_acquire);
      if (left == 0) break;
      if (!spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; })) pending_.wait(left);
    }
    work_ = nullptr;
  }

 private:
  void stop() {
    stop_ = true;
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  template <class Pred>
  static bool spin_until(Pred pred) {
    for (int i = 0; i < 2000; ++i) {
      if (pred()) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    return pred();
  }

  void take_lanes() {
    for (std::size_t i = next_.fetch_add(1, std::memory_order_relaxed); i < count_;
         i = next_.fetch_add(1, std::memory_order_relaxed))
      (*work_)(i);
  }

  void serve() {
    std::uint32_t seen = 0;
    for (;;) {
      std::uint32_t g = generation_.load(std::memory_order_acquire);
      if (g == seen) {
        if (!spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; })) generation_.wait(seen);
        continue;
      }
      seen = g;
      if (stop_) return;
      take_lanes();
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
    }
  }

  std::vector<std::thread> threads_;
  // 32-bit, so that waiting on them is a plain futex wait.
  std::atomic<std::uint32_t> generation_{0};
  std::atomic<std::uint32_t> pending_{0};
  std::atomic<std::size_t> next_{0};
  const std::function<void(std::size_t)>* work_ = nullptr;
  std::size_t count_ = 0;
  bool stop_ = false;
};

}  // namespace tally::sim
