#include "cli/args.h"

#include "base/json_pretty.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <tuple>

namespace tally::cli {

namespace json = boost::json;

namespace {

// A word that reads as an option: "-x", "--name", "-name" (bitcoin-cli's spelling), with or
// without "=value"; a negative number ("-1", "-.5") or a lone "--" is not one.
bool looks_like_option(std::string_view w) {
  if (w.size() < 2 || w[0] != '-' || w == "--") return false;
  return !std::isdigit(static_cast<unsigned char>(w[1])) && w[1] != '.';
}

std::string option_name(std::string_view w) {
  w.remove_prefix(w.starts_with("--") ? 2 : 1);
  return std::string(w.substr(0, w.find('=')));
}

// Prepares words for CLI11, which knows each option's arity from `app`: "-name" becomes
// "--name" (when `single_dash_long`), and "--name VALUE" becomes "--name=VALUE" so that a
// value starting with '-' stays a value. With `stop_at_command`, the first word that is not
// an option or an option's value ends the options: it and everything after it are kept
// verbatim (the method and its arguments).
std::expected<std::vector<std::string>, std::string> normalize(CLI::App& app, const std::vector<std::string>& words,
                                                               bool single_dash_long, bool stop_at_command) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string w = words[i];
    const bool option = stop_at_command ? looks_like_option(w) : w.starts_with("--") && w.size() > 2;
    if (!option) {
      if (stop_at_command) {
        out.insert(out.end(), words.begin() + static_cast<std::ptrdiff_t>(i), words.end());
        break;
      }
      out.push_back(std::move(w));
      continue;
    }
    if (single_dash_long && w[1] != '-' && w.size() > 2) w.insert(0, "-");
    const CLI::Option* opt = w.starts_with("--") ? app.get_option_no_throw(w.substr(0, w.find('='))) : nullptr;
    if (opt != nullptr && opt->get_items_expected_max() > 0 && w.find('=') == std::string::npos) {
      if (i + 1 >= words.size()) return std::unexpected("--" + option_name(w) + " needs a value");
      w += "=" + words[++i];
    }
    out.push_back(std::move(w));
  }
  std::reverse(out.begin(), out.end());  // CLI11 takes its words last first
  return out;
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
  CLI::App app{"tally-cli"};
  app.set_help_flag();  // usage_text() is the help; main prints it
  app.prefix_command();  // the method and its arguments are not ours to parse
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::string rpcport, datadir, rpcuser, rpcwaittimeout, timeout;
  app.add_flag("-h,-?,--help", o.help);
  app.add_flag("--version", o.version);
  // --named=0 and --named=1 as bitcoin-cli takes them; nothing else.
  app.add_flag("--named", o.named)->check(CLI::IsMember({"true", "1", "false", "0"}));
  app.add_flag("--rpcwait", o.rpcwait)->check(CLI::IsMember({"true", "1", "false", "0"}));
  CLI::Option* connect = app.add_option("--rpcconnect", o.rpcconnect);
  CLI::Option* port = app.add_option("--rpcport", rpcport);
  CLI::Option* dir = app.add_option("--datadir", datadir);
  CLI::Option* user = app.add_option("--rpcuser", rpcuser);
  app.add_option("--rpcpassword", o.rpcpassword);
  app.add_option("--chain", o.chain);
  CLI::Option* wait_limit = app.add_option("--rpcwaittimeout", rpcwaittimeout);
  CLI::Option* http_limit = app.add_option("--timeout", timeout);

  auto words = normalize(app, std::vector<std::string>(argv + std::min(argc, 1), argv + argc), true, true);
  if (!words) return std::unexpected(words.error());
  try {
    app.parse(std::move(*words));
  } catch (const CLI::ParseError& e) {
    return std::unexpected(std::string(e.what()));
  }
  std::vector<std::string> rest = app.remaining();
  if (!rest.empty() && looks_like_option(rest.front()))
    return std::unexpected("unknown option --" + option_name(rest.front()) + " (see tally-cli --help)");
  if (!rest.empty()) {
    o.command = rest.front();
    o.args.assign(rest.begin() + 1, rest.end());
  }

  if (connect->count() > 0 && o.rpcconnect.empty()) return std::unexpected(std::string("--rpcconnect: empty host"));
  if (port->count() > 0) {
    auto p = parse_u64(rpcport);
    if (!p || *p == 0 || *p > 65535) return std::unexpected("--rpcport: expected 1 to 65535, got '" + rpcport + "'");
    o.rpcport = static_cast<std::uint16_t>(*p);
  }
  if (dir->count() > 0) o.datadir = datadir;
  if (user->count() > 0) o.rpcuser = rpcuser;
  for (auto [name, option, text, out] : {std::tuple{"timeout", http_limit, &timeout, &o.timeout_s},
                                         std::tuple{"rpcwaittimeout", wait_limit, &rpcwaittimeout, &o.rpcwait_timeout_s}}) {
    if (option->count() == 0) continue;
    auto seconds = parse_seconds(name, *text);
    if (!seconds) return std::unexpected(seconds.error());
    *out = *seconds;
  }
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
  CLI::App app{"command"};
  app.set_help_flag();
  app.allow_extras();  // unknown options are reported below, with the allowed ones
  std::vector<std::vector<std::string>> values(allowed.size());
  for (std::size_t i = 0; i < allowed.size(); ++i) app.add_option("--" + allowed[i], values[i])->allow_extra_args(false);
  CommandArgs out;
  app.add_option("words", out.positional);
  auto words = normalize(app, args, false, false);
  if (!words) return std::unexpected(words.error());
  try {
    app.parse(std::move(*words));
  } catch (const CLI::ParseError& e) {
    return std::unexpected(std::string(e.what()));
  }
  for (const std::string& extra : app.remaining()) {
    if (!extra.starts_with("--")) {
      out.positional.push_back(extra);
      continue;
    }
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "--" : ", --") + a;
    return std::unexpected("unknown option --" + option_name(extra) + (list.empty() ? "" : " (allowed: " + list + ")"));
  }
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (values[i].size() > 1) return std::unexpected("--" + allowed[i] + " given twice");
    if (!values[i].empty()) out.options.emplace_back(allowed[i], values[i].front());
  }
  return out;
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

std::string pretty_json(const json::value& v) { return base::pretty_json(v); }

}  // namespace tally::cli
