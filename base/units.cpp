#include "base/units.h"

#include <cmath>
#include <exception>

namespace tally::base {

namespace {

// Upper bounds, far above any real link and run, that keep every result (and a rate in bits
// per second, 8 times more) inside the integer it is returned in: a double outside its
// target's range converts to an integer with undefined behaviour.
constexpr double kMaxRateBytesPerS = 1e15;  // 8,000,000 gbit
constexpr double kMaxDurationMs = 1e12;     // 1,000,000,000 s, about 31 years

}  // namespace

std::expected<std::uint64_t, std::string> parse_rate(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::unexpected("bad rate '" + text + "' (e.g. 10mbit, 512kbit, 2mbyte)");
  }
  // std::stod also reads "nan", "inf" and "infinity".
  if (!std::isfinite(value)) return std::unexpected("bad rate '" + text + "' (e.g. 10mbit, 512kbit, 2mbyte)");
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
  if (bytes_per_s > kMaxRateBytesPerS) return std::unexpected("rate '" + text + "' is too large (at most 8000000gbit)");
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
  // std::stod also reads "nan", "inf" and "infinity".
  if (!std::isfinite(value)) return std::unexpected("bad duration '" + text + "' (e.g. 50ms, 1s)");
  const std::string unit = text.substr(used);
  if (value < 0) return std::unexpected("duration must not be negative");
  double ms;
  if (unit.empty() || unit == "ms") ms = value;
  else if (unit == "s") ms = value * 1000;
  else if (unit == "us") ms = value / 1000;
  else if (unit == "m" || unit == "min") ms = value * 60'000;
  else if (unit == "h") ms = value * 3'600'000;
  else return std::unexpected("bad duration unit '" + unit + "' (use ms, s, m or h)");
  if (ms > kMaxDurationMs) return std::unexpected("duration '" + text + "' is too large (at most 1000000000s)");
  return static_cast<std::int64_t>(ms);
}

}  // namespace tally::base
