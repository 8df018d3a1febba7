#include "events/json_fields.h"

#include <algorithm>
#include <cctype>

#include "events/event.h"

namespace tally::events::detail {

namespace json = boost::json;

// Built by appending (GCC 12 warns falsely on "literal" + std::string).
std::string field_error(std::string_view key, std::string_view what) {
  std::string s = "\"";
  s += key;
  s += "\" ";
  s += what;
  return s;
}

std::string missing(std::string_view key) {
  std::string s = "missing \"";
  s += key;
  s += '"';
  return s;
}

std::expected<std::int64_t, std::string> get_count(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::unexpected(missing(key));
  std::int64_t out = 0;
  if (const auto* i = v->if_int64()) {
    out = *i;
  } else if (const auto* u = v->if_uint64()) {
    if (*u > static_cast<std::uint64_t>(INT64_MAX)) return std::unexpected(field_error(key, "out of range"));
    out = static_cast<std::int64_t>(*u);
  } else {
    return std::unexpected(field_error(key, "is not an integer"));
  }
  if (out < 0) return std::unexpected(field_error(key, "is negative"));
  return out;
}

std::expected<std::uint64_t, std::string> get_uint(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::unexpected(missing(key));
  if (const auto* u = v->if_uint64()) return *u;
  if (const auto* i = v->if_int64(); i && *i >= 0) return static_cast<std::uint64_t>(*i);
  return std::unexpected(field_error(key, "is not a non-negative integer"));
}

std::expected<std::string, std::string> get_string(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::unexpected(missing(key));
  const auto* s = v->if_string();
  if (!s) return std::unexpected(field_error(key, "is not a string"));
  return std::string(s->data(), s->size());
}

std::expected<bool, std::string> get_bool(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::unexpected(missing(key));
  const auto* b = v->if_bool();
  if (!b) return std::unexpected(field_error(key, "is not true or false"));
  return *b;
}

std::expected<std::string, std::string> get_hash(const json::object& o, std::string_view key) {
  auto s = get_string(o, key);
  if (!s) return s;
  if (!is_hash_hex(*s)) return std::unexpected(field_error(key, "is not 64 hex digits"));
  std::ranges::transform(*s, s->begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::expected<json::object, std::string> parse_object(std::string_view line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec) return std::unexpected("not JSON: " + ec.message());
  auto* o = v.if_object();
  if (!o) return std::unexpected(std::string("not a JSON object"));
  return std::move(*o);
}

}  // namespace tally::events::detail
