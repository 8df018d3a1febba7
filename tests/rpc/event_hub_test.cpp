// The live event stream's fan-out (rpc/event_hub.h): frames in order per subscriber, a
// subscriber that falls behind is dropped (queue cleared, woken once) without slowing the
// others, and a released subscriber is forgotten.
#include "rpc/event_hub.h"

#include <gtest/gtest.h>

namespace tally::rpc {
namespace {

TEST(EventHub, FramesArriveInOrderAsServerSentEvents) {
  EventHub hub;
  int wakes = 0;
  auto s = hub.subscribe([&] { ++wakes; });
  EXPECT_TRUE(hub.has_subscribers());
  hub.publish("tip_changed", R"({"height":1})");
  hub.publish("reorg", R"({"depth":2})");
  EXPECT_EQ(wakes, 2);
  auto b = s->take();
  EXPECT_FALSE(b.overflowed);
  EXPECT_EQ(b.frames, "event: tip_changed\ndata: {\"height\":1}\n\nevent: reorg\ndata: {\"depth\":2}\n\n");
  EXPECT_TRUE(s->take().frames.empty());
}

TEST(EventHub, ASubscriberThatFallsBehindIsDroppedAndOthersKeepTheirs) {
  EventHub hub(100);
  int slow_wakes = 0;
  auto slow = hub.subscribe([&] { ++slow_wakes; });
  auto fast = hub.subscribe([] {});
  const std::string json = R"({"pad":")" + std::string(30, 'x') + R"("})";
  hub.publish("a", json);
  (void)fast->take();
  hub.publish("b", json);  // slow now holds two frames: past 100 bytes
  EXPECT_TRUE(slow->overflowed());
  EXPECT_EQ(hub.dropped(), 1u);
  (void)fast->take();
  const int wakes_at_drop = slow_wakes;
  hub.publish("c", json);
  EXPECT_EQ(slow_wakes, wakes_at_drop) << "a dropped subscriber is not woken again";
  auto b = slow->take();
  EXPECT_TRUE(b.overflowed);
  EXPECT_TRUE(b.frames.empty());
  auto f = fast->take();
  EXPECT_FALSE(f.overflowed);
  EXPECT_NE(f.frames.find("event: c\n"), std::string::npos);
}

TEST(EventHub, AReleasedSubscriberIsForgotten) {
  EventHub hub;
  auto s = hub.subscribe([] {});
  s.reset();
  hub.publish("x", "{}");
  EXPECT_FALSE(hub.has_subscribers());
}

}  // namespace
}  // namespace tally::rpc
