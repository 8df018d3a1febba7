// Parsing of the quantities people type on command lines, in config files and scenarios:
// durations ("50ms", "1s") and data rates ("10mbit", "2mbyte"). Pure functions.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

namespace tally::base {

// "10mbit", "512kbit", "1mbyte", "100000" (bytes/s) -> bytes per second.
[[nodiscard]] std::expected<std::uint64_t, std::string> parse_rate(const std::string& text);
// "50ms", "1s", "20" (ms), "2m", "1h" -> milliseconds.
[[nodiscard]] std::expected<std::int64_t, std::string> parse_duration_ms(const std::string& text);

}  // namespace tally::base
