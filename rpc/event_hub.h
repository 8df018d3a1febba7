// The node's live event stream (GET /events, server-sent events): the node publishes each
// event once, every subscriber (one per /events connection) gets its own bounded queue.
//
// A subscriber that falls behind (more than `max_queued_bytes` waiting) is dropped, not
// waited for: its queue is cleared, it is marked overflowed and woken once so its connection
// closes; the node never blocks on a client. Publishing costs nothing without subscribers
// (callers check has_subscribers() before serializing).
//
// Frames are SSE text: "event: <type>\ndata: <one JSON line>\n\n".
// Thread-safety: every method may be called from any thread; `wake` callbacks run on the
// publishing thread and must only post work elsewhere.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tally::rpc {

class EventSubscriber {
 public:
  // What is waiting, in order, joined; `overflowed` when the subscriber was dropped.
  struct Batch {
    std::string frames;
    bool overflowed = false;
  };
  Batch take();
  bool overflowed() const;

 private:
  friend class EventHub;
  mutable std::mutex mu_;
  std::deque<std::string> frames_;
  std::size_t bytes_ = 0;
  bool overflowed_ = false;
  std::function<void()> wake_;
};

class EventHub {
 public:
  explicit EventHub(std::size_t max_queued_bytes = 1 << 20) : max_queued_bytes_(max_queued_bytes) {}

  // A new subscriber; `wake` is called (on the publisher's thread) whenever frames arrive or
  // the subscriber is dropped. It stays subscribed while the caller holds the pointer.
  std::shared_ptr<EventSubscriber> subscribe(std::function<void()> wake);
  bool has_subscribers() const { return subscribers_.load(std::memory_order_relaxed) > 0; }

  // One SSE frame of `type` with `json` (a single line) to every subscriber.
  void publish(std::string_view type, std::string_view json);

  // Subscribers dropped for falling behind, since start.
  std::uint64_t dropped() const { return dropped_.load(); }

 private:
  std::size_t max_queued_bytes_;
  mutable std::mutex mu_;
  std::vector<std::weak_ptr<EventSubscriber>> list_;  // GUARDED_BY(mu_)
  std::atomic<std::size_t> subscribers_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace tally::rpc
