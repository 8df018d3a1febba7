#include "cli/args.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace tally::cli {

namespace json = boost::json;

namespace {

// "--name", "--name=value", "-name" (bitcoin-cli style): the name, and the value if inline.
bool split_option(std::string_view arg, std::string& name, std::optional<std::string>& value) {
  if (arg.size() < 2 || arg[0] != '-') return false;
  if (std::isdigit(static_cast<unsigned char>(arg[1])) || arg[1] == '.') return false;  // "-1"
  arg.remove_prefix(arg.starts_with("--") ? 2 : 1);
  if (arg.empty()) return false;
  const auto eq = arg.find('=');
  name = std::string(arg.substr(0, eq));
  value.reset();
  if (eq != std::string_view::npos) value = std::string(arg.substr(eq + 1));
  return true;
}

std::expected<int, std::string> parse_seconds(const std::string& name, const std::string& text) {
  auto v = parse_u64(text);
  if (!v || *v > 365ull * 24 * 3600) return std::unexpected("--" + name + ": expected seconds, got '" + text + "'");
  return static_cast<int>(*v);
}

}  // namespace

std::expected<std::uint64_t, std::string> parse_u64(std::string_view text) {
  std::uint64_t v = 0;
  if (text.empty()) return std::unexpected(std::string("empty number"));
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) return std::unexpected("number too large: " + std::string(text));
  if (ec != std::errc() || end != text.data() + text.size())
    return std::unexpected("not an unsigned integer: '" + std::string(text) + "'");
  return v;
}

std::expected<CliOptions, std::string> parse_cli(int argc, const char* const* argv) {
  CliOptions o;
  int i = 1;
  for (; i < argc; ++i) {
    std::string name;
    std::optional<std::string> inline_value;
    if (!split_option(argv[i], name, inline_value)) break;
    auto value = [&]() -> std::expected<std::string, std::string> {
      if (inline_value) return *inline_value;
      if (i + 1 >= argc) return std::unexpected("--" + name + " needs a value");
      return std::string(argv[++i]);
    };
    auto flag = [&]() -> std::expected<bool, std::string> {
      if (!inline_value) return true;
      if (*inline_value == "1" || *inline_value == "true") return true;
      if (*inline_value == "0" || *inline_value == "false") return false;
      return std::unexpected("--" + name + ": expected 1 or 0, got '" + *inline_value + "'");
    };
    std::expected<void, std::string> ok;
    if (name == "help" || name == "h" || name == "?") {
      o.help = true;
    } else if (name == "version") {
      o.version = true;
    } else if (name == "named" || name == "rpcwait") {
      auto f = flag();
      if (!f) return std::unexpected(f.error());
      (name == "named" ? o.named : o.rpcwait) = *f;
    } else if (name == "rpcconnect" || name == "rpcport" || name == "datadir" || name == "rpcuser" ||
               name == "rpcpassword" || name == "chain" || name == "rpcwaittimeout" || name == "timeout") {
      auto v = value();
      if (!v) return std::unexpected(v.error());
      if (name == "rpcconnect") {
        if (v->empty()) return std::unexpected(std::string("--rpcconnect: empty host"));
        o.rpcconnect = *v;
      } else if (name == "rpcport") {
        auto p = parse_u64(*v);
        if (!p || *p == 0 || *p > 65535) return std::unexpected("--rpcport: expected 1 to 65535, got '" + *v + "'");
        o.rpcport = static_cast<std::uint16_t>(*p);
      } else if (name == "datadir") {
        o.datadir = *v;
      } else if (name == "rpcuser") {
        o.rpcuser = *v;
      } else if (name == "rpcpassword") {
        o.rpcpassword = *v;
      } else if (name == "chain") {
        o.chain = *v;
      } else {
        auto s = parse_seconds(name, *v);
        if (!s) return std::unexpected(s.error());
        (name == "timeout" ? o.timeout_s : o.rpcwait_timeout_s) = *s;
      }
    } else {
      return std::unexpected("unknown option --" + name + " (see tally-cli --help)");
    }
  }
  if (i < argc) o.command = argv[i++];
  for (; i < argc; ++i) o.args.emplace_back(argv[i]);
  if (!o.rpcpassword.empty() && !o.rpcuser) return std::unexpected(std::string("--rpcpassword needs --rpcuser"));
  if (o.timeout_s == 0) return std::unexpected(std::string("--timeout must be at least 1 second"));
  return o;
}

std::optional<std::string> CommandArgs::get(std::string_view name) const {
  for (const auto& [k, v] : options)
    if (k == name) return v;
  return std::nullopt;
}

std::expected<CommandArgs, std::string> parse_command_args(const std::vector<std::string>& args,
                                                           const std::vector<std::string>& allowed) {
  CommandArgs out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name;
    std::optional<std::string> value;
    if (!args[i].starts_with("--") || !split_option(args[i], name, value)) {
      out.positional.push_back(args[i]);
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "--" : ", --") + a;
      return std::unexpected("unknown option --" + name + (list.empty() ? "" : " (allowed: " + list + ")"));
    }
    if (out.get(name)) return std::unexpected("--" + name + " given twice");
    if (!value) {
      if (i + 1 >= args.size()) return std::unexpected("--" + name + " needs a value");
      value = args[++i];
    }
    out.options.emplace_back(name, *value);
  }
  return out;
}

json::value parse_json_arg(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return json::value(json::string(text.data(), text.size()));
  if (v.is_number() && text.size() >= 32) return json::value(json::string(text.data(), text.size()));
  return v;
}

std::expected<std::uint64_t, std::string> parse_amount(std::string_view text) {
  const std::string original(text);
  auto bad = [&](const std::string& why) {
    return std::unexpected("bad amount '" + original + "': " + why +
                           " (base units such as 150000000, or coins such as 1.5tly)");
  };
  bool coins = false;
  if (text.size() > 3) {
    std::string suffix(text.substr(text.size() - 3));
    for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (suffix == "tly") {
      coins = true;
      text.remove_suffix(3);
    }
  }
  if (text.empty()) return bad("no digits");
  const auto dot = text.find('.');
  if (!coins && dot != std::string_view::npos) return bad("base units have no fraction; add 'tly' for coins");
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return bad("no digits");
  for (char c : whole)
    if (!std::isdigit(static_cast<unsigned char>(c))) return bad("unexpected character");
  for (char c : fraction)
    if (!std::isdigit(static_cast<unsigned char>(c))) return bad("unexpected character");
  if (fraction.size() > 8) return bad("more than 8 decimals");
  std::uint64_t units = 0;
  if (!whole.empty()) {
    auto w = parse_u64(whole);
    if (!w) return bad("too large");
    units = *w;
  }
  if (!coins) return units;
  if (units > std::numeric_limits<std::uint64_t>::max() / kUnitsPerCoin) return bad("too large");
  units *= kUnitsPerCoin;
  std::uint64_t frac = 0;
  for (std::size_t k = 0; k < 8; ++k) frac = frac * 10 + (k < fraction.size() ? static_cast<std::uint64_t>(fraction[k] - '0') : 0);
  if (units > std::numeric_limits<std::uint64_t>::max() - frac) return bad("too large");
  return units + frac;
}

namespace {

void pretty(const json::value& v, std::string& out, int depth) {
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
      pretty(kv.value(), out, depth + 1);
    }
    out += "\n";
    indent(depth);
    out += "}";
  } else if (const auto* a = v.if_array()) {
    if (a->empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    bool first = true;
    for (const auto& e : *a) {
      if (!first) out += ",\n";
      first = false;
      indent(depth + 1);
      pretty(e, out, depth + 1);
    }
    out += "\n";
    indent(depth);
    out += "]";
  } else if (v.is_double() && std::isfinite(v.get_double())) {
    // Shortest round-trip form ("1.0233" rather than Boost.JSON's "1.0233E0").
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v.get_double());
    out.append(buf, r.ptr);
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string pretty_json(const json::value& v) {
  std::string out;
  pretty(v, out, 0);
  return out;
}

}  // namespace tally::cli
