// tally-cli's command line: global options (connection, chain spec), the method or offline
// command and its arguments; and the text conversions the commands share: JSON arguments,
// amounts ("150000000", "1.5tly") and the pretty JSON printer.
//
// Pure functions, no I/O; thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/cli_json.h"

namespace tally::cli {

struct CliOptions {
  std::string rpcconnect = "127.0.0.1";
  std::optional<std::uint16_t> rpcport;      // default: <datadir>/node.json, else the spec's
  std::optional<std::filesystem::path> datadir;  // default: ~/.tally/<chain name>
  std::optional<std::string> rpcuser;
  std::string rpcpassword;
  std::string chain;          // chain spec file; empty: the embedded devnet spec
  bool named = false;         // arguments are name=value pairs (a params object)
  bool rpcwait = false;       // wait for the server to come up
  int rpcwait_timeout_s = 0;  // with rpcwait; 0: no limit
  int timeout_s = 900;        // one HTTP request
  bool help = false;
  bool version = false;

  std::string command;              // the RPC method or offline command; empty: none given
  std::vector<std::string> args;    // everything after the command, verbatim
};

// Parses argv with CLI11: global options (--name VALUE, --name=VALUE, or bitcoin-cli's
// -name=VALUE) up to the first word that is not an option, which is the command; the rest
// are its arguments, verbatim (a leading "-1" is the command, not an option).
[[nodiscard]] std::expected<CliOptions, std::string> parse_cli(int argc, const char* const* argv);

// The options of an offline command (--key K --to A ...), parsed with CLI11: name -> value.
// Unknown names, a missing value or a repeated name are errors; `allowed` lists the accepted names (without
// "--"). Positional words go to `positional`.
struct CommandArgs {
  std::vector<std::pair<std::string, std::string>> options;
  std::vector<std::string> positional;
  std::optional<std::string> get(std::string_view name) const;
};
[[nodiscard]] std::expected<CommandArgs, std::string> parse_command_args(const std::vector<std::string>& args,
                                                                         const std::vector<std::string>& allowed);

// One RPC argument as bitcoin-cli reads it (base/cli_json.h, shared with tally-devnet cli).
using base::parse_json_arg;

// Amounts in base units: "150000000", or with the coin suffix "1.5tly" / "2TLY" (1 TLY =
// 10^8 units, at most 8 decimals). No sign, no overflow.
inline constexpr std::uint64_t kUnitsPerCoin = 100'000'000;
[[nodiscard]] std::expected<std::uint64_t, std::string> parse_amount(std::string_view text);
// A plain unsigned integer (nonces, indexes).
[[nodiscard]] std::expected<std::uint64_t, std::string> parse_u64(std::string_view text);

// JSON with 2-space indentation, one member or element per line (like bitcoin-cli).
std::string pretty_json(const boost::json::value& v);

}  // namespace tally::cli
