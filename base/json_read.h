// Reading JSON into structs, the one way: Boost.JSON's value_to<T>, with a
//   T tag_invoke(boost::json::value_to_tag<T>, const boost::json::value&)
// beside each struct, written with the readers below so that every error names its field
// ("personas.1.offline[0][1]: must be within the run, 0..30 s", "accounts[3].balance: ...").
//
// How errors travel: a reader that meets a wrong value throws JsonReadError (json_fail());
// json_field() and json_elements() put the field's name or index in front of its path on
// the way out; read_json<T>() catches it at the library's edge and returns the message as
// std::expected. Callers of a library never see the exception.
//
// Used by the daemon's libraries (the chain spec) and by the tools alike, so it lives in
// base/ and depends on Boost.JSON and the standard library only. Pure functions; thread-safe.
#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_to.hpp>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <expected>
#include <initializer_list>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tally::base {

// A value that cannot be read: where (a path such as "links.latency" or "groups[1]", empty
// for the value at hand) and why. what() is "path: message".
class JsonReadError : public std::runtime_error {
 public:
  JsonReadError(std::string path, std::string message);
  const std::string& path() const { return path_; }
  const std::string& message() const { return message_; }
  // The same error one level up: `segment` is a field name or an index such as "[2]".
  [[nodiscard]] JsonReadError within(std::string_view segment) const;

 private:
  std::string path_;
  std::string message_;
};

// Inside a reader: the value at hand is wrong.
[[noreturn]] void json_fail(std::string message);

// The value as an object or an array; else json_fail(`message`).
const boost::json::object& json_object(const boost::json::value& v, std::string_view message = "must be an object");
const boost::json::array& json_array(const boost::json::value& v, std::string_view message = "must be an array");

// Every key of `o` is one of `allowed`; else "KEY: unknown field (expected one of: a, b)".
void json_only_keys(const boost::json::object& o, std::initializer_list<std::string_view> allowed);

// A JSON integer (not 2.5, not "2") within lo..hi; else "must be an integer lo..hi".
template <std::integral T>
T json_integer(const boost::json::value& v, T lo = std::numeric_limits<T>::min(), T hi = std::numeric_limits<T>::max()) {
  const std::string range = "must be an integer " + std::to_string(lo) + ".." + std::to_string(hi);
  if (const auto* i = v.if_int64()) {
    if (std::cmp_less(*i, lo) || std::cmp_greater(*i, hi)) json_fail(range);
    return static_cast<T>(*i);
  }
  if (const auto* u = v.if_uint64()) {
    if (std::cmp_greater(*u, hi) || std::cmp_less(*u, lo)) json_fail(range);
    return static_cast<T>(*u);
  }
  json_fail(range);
}

// A JSON number that is finite; else "must be a number" / "must be a finite number".
double json_number(const boost::json::value& v);
// A JSON string; else "must be a string".
std::string json_string(const boost::json::value& v);
// true or false; else "must be true or false".
bool json_bool(const boost::json::value& v);

template <class T>
T json_read(const boost::json::value& v);

namespace detail {
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
}  // namespace detail

// Each element of an array read with `reader(const value&)`, errors under "[i]".
template <class F>
auto json_elements(const boost::json::value& v, F&& reader) {
  using R = std::decay_t<decltype(reader(v))>;
  std::vector<R> out;
  const auto& a = json_array(v);
  out.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    try {
      out.push_back(reader(a[i]));
    } catch (const JsonReadError& e) {
      throw e.within("[" + std::to_string(i) + "]");
    }
  }
  return out;
}

// A value read as T: bool, integers (json_integer over T's range), floating point
// (json_number), std::string, std::vector<U> (elements read as U), and every other type
// through boost::json::value_to<T>, that is its tag_invoke.
template <class T>
T json_read(const boost::json::value& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return json_bool(v);
  } else if constexpr (std::is_integral_v<T>) {
    return json_integer<T>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(json_number(v));
  } else if constexpr (std::is_same_v<T, std::string>) {
    return json_string(v);
  } else if constexpr (detail::IsVector<T>::value) {
    return json_elements(v, [](const boost::json::value& e) { return json_read<typename T::value_type>(e); });
  } else {
    return boost::json::value_to<T>(v);
  }
}

// o[key] read with `reader(const value&)`; "KEY: missing" when absent, the reader's errors
// under KEY.
template <class F>
auto json_field(const boost::json::object& o, std::string_view key, F&& reader) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr) throw JsonReadError(std::string(key), "missing");
  try {
    return reader(*v);
  } catch (const JsonReadError& e) {
    throw e.within(key);
  }
}
template <class T>
T json_field(const boost::json::object& o, std::string_view key) {
  return json_field(o, key, [](const boost::json::value& v) { return json_read<T>(v); });
}

// The same for a field that may be absent: nullopt then.
template <class F>
auto json_optional(const boost::json::object& o, std::string_view key, F&& reader)
    -> std::optional<std::decay_t<decltype(reader(std::declval<const boost::json::value&>()))>> {
  if (!o.contains(key)) return std::nullopt;
  return json_field(o, key, std::forward<F>(reader));
}
template <class T>
std::optional<T> json_optional(const boost::json::object& o, std::string_view key) {
  return json_optional(o, key, [](const boost::json::value& v) { return json_read<T>(v); });
}

// value_to<T> (or any reader) at the edge of a library: the value, or the error's
// "path: message".
template <class F>
auto read_json_with(F&& reader) -> std::expected<std::decay_t<decltype(reader())>, std::string> {
  try {
    return reader();
  } catch (const JsonReadError& e) {
    return std::unexpected(std::string(e.what()));
  }
}
template <class T>
std::expected<T, std::string> read_json(const boost::json::value& v) {
  return read_json_with([&] { return json_read<T>(v); });
}

// Parses `text` and reads it as T: the value, "not JSON: <the parser's reason>", or
// read_json's "path: message". For one-value texts such as the lines of a JSON Lines log.
template <class T>
std::expected<T, std::string> read_json_text(std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec) return std::unexpected("not JSON: " + ec.message());
  return read_json<T>(v);
}

}  // namespace tally::base
