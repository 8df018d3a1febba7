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
  std::vector<std::size_t> out;
  if (text.empty()) return std::unexpected(std::string("empty node list"));
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view item = text.substr(pos, comma - pos);
    const std::size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      auto v = parse_index(item, text);
      if (!v) return std::unexpected(v.error());
      out.push_back(*v);
    } else {
      auto lo = parse_index(item.substr(0, dash), text);
      auto hi = parse_index(item.substr(dash + 1), text);
      if (!lo) return std::unexpected(lo.error());
      if (!hi) return std::unexpected(hi.error());
      if (*lo > *hi) return std::unexpected("bad node range '" + std::string(item) + "' (low-high)");
      for (std::size_t i = *lo; i <= *hi; ++i) out.push_back(i);
    }
    pos = comma + 1;
  }
  if (!std::is_sorted(out.begin(), out.end())) std::sort(out.begin(), out.end());  // ranges come sorted
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace tally::scenario
