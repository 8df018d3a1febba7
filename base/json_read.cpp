#include "base/json_read.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace tally::base {

namespace json = boost::json;

namespace {

std::string joined(std::string_view path, std::string_view message) {
  if (path.empty()) return std::string(message);
  std::string out(path);
  out += ": ";
  out += message;
  return out;
}

}  // namespace

JsonReadError::JsonReadError(std::string path, std::string message)
    : std::runtime_error(joined(path, message)), path_(std::move(path)), message_(std::move(message)) {}

JsonReadError JsonReadError::within(std::string_view segment) const {
  std::string path(segment);
  if (!path_.empty()) {
    if (path_.front() != '[') path += '.';
    path += path_;
  }
  return JsonReadError(std::move(path), message_);
}

void json_fail(std::string message) { throw JsonReadError("", std::move(message)); }

const json::object& json_object(const json::value& v, std::string_view message) {
  if (!v.is_object()) json_fail(std::string(message));
  return v.get_object();
}

const json::array& json_array(const json::value& v, std::string_view message) {
  if (!v.is_array()) json_fail(std::string(message));
  return v.get_array();
}

void json_only_keys(const json::object& o, std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : o) {
    if (std::find(allowed.begin(), allowed.end(), std::string_view(kv.key())) != allowed.end()) continue;
    std::string names;
    for (auto a : allowed) {
      if (!names.empty()) names += ", ";
      names += a;
    }
    throw JsonReadError(std::string(kv.key()), "unknown field (expected one of: " + names + ")");
  }
}

double json_number(const json::value& v) {
  if (!v.is_number()) json_fail("must be a number");
  const double d = v.to_number<double>();
  if (!std::isfinite(d)) json_fail("must be a finite number");
  return d;
}

std::string json_string(const json::value& v) {
  if (!v.is_string()) json_fail("must be a string");
  return std::string(v.get_string());
}

bool json_bool(const json::value& v) {
  if (!v.is_bool()) json_fail("must be true or false");
  return v.get_bool();
}

}  // namespace tally::base
