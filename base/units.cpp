#include "base/units.h"

#include <exception>

namespace tally::base {

std::expected<std::uint64_t, std::string> parse_rate(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::unexpected("bad rate '" + text + "' (e.g. 10mbit, 512kbit, 2mbyte)");
  }
  const std::string unit = text.substr(used);
  double bytes_per_s;
  if (unit.empty() || unit == "bps" || unit == "byte") bytes_per_s = value;
  else if (unit == "kbit") bytes_per_s = value * 1000 / 8;
  else if (unit == "mbit") bytes_per_s = value * 1000 * 1000 / 8;
  else if (unit == "gbit") bytes_per_s = value * 1000 * 1000 * 1000 / 8;
  else if (unit == "kbyte") bytes_per_s = value * 1000;
  else if (unit == "mbyte") bytes_per_s = value * 1000 * 1000;
  else return std::unexpected("bad rate unit '" + unit + "' (use bit, kbit, mbit, gbit, kbyte, mbyte)");
  if (value < 0) return std::unexpected("rate must not be negative");
  return static_cast<std::uint64_t>(bytes_per_s);
}

std::expected<std::int64_t, std::string> parse_duration_ms(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::unexpected("bad duration '" + text + "' (e.g. 50ms, 1s)");
  }
  const std::string unit = text.substr(used);
  if (value < 0) return std::unexpected("duration must not be negative");
  if (unit.empty() || unit == "ms") return static_cast<std::int64_t>(value);
  if (unit == "s") return static_cast<std::int64_t>(value * 1000);
  if (unit == "us") return static_cast<std::int64_t>(value / 1000);
  if (unit == "m" || unit == "min") return static_cast<std::int64_t>(value * 60'000);
  if (unit == "h") return static_cast<std::int64_t>(value * 3'600'000);
  return std::unexpected("bad duration unit '" + unit + "' (use ms, s, m or h)");
}

}  // namespace tally::base
