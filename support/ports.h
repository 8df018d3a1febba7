// Free TCP ports on 127.0.0.1 for devnets, end-to-end tests and benchmarks. Thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

namespace tally::support {

// `count` distinct TCP ports that were free on 127.0.0.1 a moment ago: each is bound to port
// 0, read back and released only after all are picked (so no two are equal). Another
// process may still take one before the caller binds it; callers report that as a start
// failure.
[[nodiscard]] std::expected<std::vector<std::uint16_t>, std::string> pick_free_ports(std::size_t count);

}  // namespace tally::support
