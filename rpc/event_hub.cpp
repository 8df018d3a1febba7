// The live event stream's fan-out (rpc/event_hub.h).
#include "rpc/event_hub.h"

#include <algorithm>

namespace tally::rpc {

EventSubscriber::Batch EventSubscriber::take() {
  std::lock_guard lock(mu_);
  Batch b;
  b.overflowed = overflowed_;
  for (auto& f : frames_) b.frames += f;
  frames_.clear();
  bytes_ = 0;
  return b;
}

bool EventSubscriber::overflowed() const {
  std::lock_guard lock(mu_);
  return overflowed_;
}

std::shared_ptr<EventSubscriber> EventHub::subscribe(std::function<void()> wake) {
  auto s = std::make_shared<EventSubscriber>();
  s->wake_ = std::move(wake);
  std::lock_guard lock(mu_);
  std::erase_if(list_, [](const auto& w) { return w.expired(); });
  list_.push_back(s);
  subscribers_.store(list_.size());
  return s;
}

void EventHub::publish(std::string_view type, std::string_view json) {
  std::string frame;
  frame.reserve(type.size() + json.size() + 16);
  frame.append("event: ").append(type).append("\ndata: ").append(json).append("\n\n");
  std::vector<std::shared_ptr<EventSubscriber>> live;
  {
    std::lock_guard lock(mu_);
    std::erase_if(list_, [](const auto& w) { return w.expired(); });
    subscribers_.store(list_.size());
    for (const auto& w : list_)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (const auto& s : live) {
    bool wake = false;
    {
      std::lock_guard lock(s->mu_);
      if (s->overflowed_) continue;
      if (s->bytes_ + frame.size() > max_queued_bytes_) {
        s->overflowed_ = true;
        s->frames_.clear();
        s->bytes_ = 0;
        dropped_.fetch_add(1);
      } else {
        s->frames_.push_back(frame);
        s->bytes_ += frame.size();
      }
      wake = true;
    }
    if (wake && s->wake_) s->wake_();
  }
}

}  // namespace tally::rpc
