// The overlay figures of the report (study/overlay.h): degrees, components, diameter.
#include "study/overlay.h"

#include <gtest/gtest.h>

namespace tally::study {
namespace {

TEST(Overlay, RingHasDegreeTwoAndDiameterHalfItsSize) {
  std::vector<std::pair<std::size_t, std::size_t>> ring;
  for (std::size_t i = 0; i < 6; ++i) ring.emplace_back(i, (i + 1) % 6);
  ring.emplace_back(1, 0);  // a duplicate, ignored
  ring.emplace_back(3, 3);  // a self-loop, ignored
  const OverlayStats s = overlay_stats(6, ring);
  EXPECT_EQ(s.edges, 6u);
  EXPECT_EQ(s.degree_histogram, (std::map<std::size_t, std::size_t>{{2, 6}}));
  EXPECT_EQ(s.components, 1u);
  EXPECT_EQ(s.diameter, 3u);
  EXPECT_DOUBLE_EQ(*s.mean_path_hops, (1 + 1 + 2 + 2 + 3) / 5.0);
  EXPECT_FALSE(s.sampled);
}

TEST(Overlay, ComponentsAndIsolatedNodes) {
  // A star on 0..3, a pair 4-5, node 6 alone.
  const OverlayStats s = overlay_stats(7, {{1, 0}, {2, 0}, {3, 0}, {5, 4}});
  EXPECT_EQ(s.components, 3u);
  EXPECT_EQ(s.largest_component, 4u);
  EXPECT_EQ(s.diameter, 2u);
  EXPECT_EQ(s.min_degree, 0u);
  EXPECT_EQ(s.max_degree, 3u);
  EXPECT_EQ(s.degree_histogram.at(1), 5u);  // the star's leaves and the pair
}

TEST(Overlay, LargeOverlaysAreSampled) {
  std::vector<std::pair<std::size_t, std::size_t>> line;
  for (std::size_t i = 1; i < 3000; ++i) line.emplace_back(i, i - 1);
  const OverlayStats s = overlay_stats(3000, line);
  EXPECT_TRUE(s.sampled);
  ASSERT_TRUE(s.diameter);
  EXPECT_GE(*s.diameter, 2900u) << "a sampled source near an end sees almost the whole line";
  EXPECT_LE(*s.diameter, 2999u);
}

}  // namespace
}  // namespace tally::study
