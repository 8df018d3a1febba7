// Node lists as people write them in scenarios and on command lines: "2", "0-3", "0,2,5".
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace tally::scenario {

// "2", "0-3", "0,2,5", "0-1,4": sorted, without duplicates. Indices are not range-checked.
[[nodiscard]] std::expected<std::vector<std::size_t>, std::string> parse_node_set(std::string_view text);

}  // namespace tally::scenario
