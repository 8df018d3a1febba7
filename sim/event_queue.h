// The simulator's agendas: a min-heap of timed entries in virtual microseconds. Entries at the
// same time come out in the order of their keys, which the pusher chooses so that they do not
// depend on which thread pushed first (sim/simulator.cpp: the origin node and its own count);
// that is what makes a run deterministic. Not thread-safe: one lane's thread owns each queue.
#pragma once

#include <cstdint>
#include <queue>
#include <vector>

namespace tally::sim {

template <class Payload>
class EventQueue {
 public:
  struct Entry {
    std::int64_t at_us;
    std::uint64_t key;
    Payload payload;
  };

  void push(std::int64_t at_us, std::uint64_t key, Payload payload) {
    heap_.push(Entry{at_us, key, std::move(payload)});
  }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  // REQUIRES: !empty().
  std::int64_t next_time_us() const { return heap_.top().at_us; }
  // REQUIRES: !empty().
  std::uint64_t next_key() const { return heap_.top().key; }
  // REQUIRES: !empty().
  Entry pop() {
    Entry e = std::move(const_cast<Entry&>(heap_.top()));
    heap_.pop();
    return e;
  }

 private:
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.at_us != b.at_us ? a.at_us > b.at_us : a.key > b.key;
    }
  };
  std::priority_queue<Entry, std::vector<Entry>, Later> heap_;
};

}  // namespace tally::sim
