#include "base/json_pretty.h"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

namespace tally::base {

namespace json = boost::json;

namespace {

// Scalars, or arrays of scalars ([[0, 1], [1, 2]] counts: edges stay on one line).
bool only_scalars(const json::array& a) {
  for (const auto& e : a)
    if (e.is_object() || (e.is_array() && !e.get_array().empty() && e.get_array()[0].is_structured())) return false;
  return true;
}

void pretty(const json::value& v, std::string& out, int depth, const PrettyJsonOptions& options) {
  const auto indent = [&](int d) { out.append(static_cast<std::size_t>(d) * 2, ' '); };
  if (const auto* o = v.if_object()) {
    if (o->empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const auto& kv : *o) {
      if (!first) out += ",\n";
      first = false;
      indent(depth + 1);
      out += json::serialize(json::string(kv.key()));
      out += ": ";
      pretty(kv.value(), out, depth + 1, options);
    }
    out += "\n";
    indent(depth);
    out += "}";
  } else if (const auto* a = v.if_array()) {
    if (a->empty()) {
      out += "[]";
      return;
    }
    if (options.scalar_arrays_inline && only_scalars(*a)) {
      out += json::serialize(v);
      return;
    }
    out += "[\n";
    bool first = true;
    for (const auto& e : *a) {
      if (!first) out += ",\n";
      first = false;
      indent(depth + 1);
      pretty(e, out, depth + 1, options);
    }
    out += "\n";
    indent(depth);
    out += "]";
  } else if (v.is_double() && std::isfinite(v.get_double())) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v.get_double());
    out.append(buf, r.ptr);
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string pretty_json(const json::value& v, const PrettyJsonOptions& options) {
  std::string out;
  pretty(v, out, 0, options);
  return out;
}

}  // namespace tally::base
