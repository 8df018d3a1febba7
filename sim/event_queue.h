// The simulator's agenda: a min-heap of timed entries in virtual microseconds. Entries at the
// same time come out in the order they were pushed (a sequence number breaks ties), which is
// what makes a run deterministic. Not thread-safe: one simulator thread owns it.
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
    std::uint64_t seq;
    Payload payload;
  };

  void push(std::int64_t at_us, Payload payload) { heap_.push(Entry{at_us, next_seq_++, std::move(payload)}); }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  // REQUIRES: !empty().
  std::int64_t next_time_us() const { return heap_.top().at_us; }
  // REQUIRES: !empty().
  Entry pop() {
    Entry e = std::move(const_cast<Entry&>(heap_.top()));
    heap_.pop();
    return e;
  }
  std::uint64_t pushed() const { return next_seq_; }

 private:
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.at_us != b.at_us ? a.at_us > b.at_us : a.seq > b.seq;
    }
  };
  std::priority_queue<Entry, std::vector<Entry>, Later> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace tally::sim
