#include "scenario/node_set.h"

#include <algorithm>
#include <charconv>

namespace tally::scenario {

namespace {

std::expected<std::size_t, std::string> parse_index(std::string_view text, std::string_view whole) {
  std::size_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v >= 100000)
    return std::unexpected("bad node list '" + std::string(whole) + "' (e.g. 2, 0-3, 0,2,5)");
  return v;
}

}  // namespace

std::expected<std::vector<std::size_t>, std::string> parse_node_set(std::string_view text) {
  // Items are read as ranges, which are sorted and merged before they are expanded: the cost
  // is the number of items and of distinct nodes, however much the items overlap.
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  if (text.empty()) return std::unexpected(std::string("empty node list"));
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view item = text.substr(pos, comma - pos);
    const std::size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      auto v = parse_index(item, text);
      if (!v) return std::unexpected(v.error());
      ranges.emplace_back(*v, *v);
    } else {
      auto lo = parse_index(item.substr(0, dash), text);
      auto hi = parse_index(item.substr(dash + 1), text);
      if (!lo) return std::unexpected(lo.error());
      if (!hi) return std::unexpected(hi.error());
      if (*lo > *hi) return std::unexpected("bad node range '" + std::string(item) + "' (low-high)");
      ranges.emplace_back(*lo, *hi);
    }
    pos = comma + 1;
  }
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::size_t> out;
  std::size_t next = 0;  // every node below it is in out already (indices are below 100,000)
  for (const auto& [lo, hi] : ranges) {
    for (std::size_t i = std::max(lo, next); i <= hi; ++i) out.push_back(i);
    next = std::max(next, hi + 1);
  }
  return out;
}

}  // namespace tally::scenario
