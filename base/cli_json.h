// How the command-line tools (tally-cli, tally-devnet cli) read RPC arguments and show RPC
// results, as bitcoin-cli does: one definition so both behave alike. Pure functions;
// thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace tally::base {

// One RPC argument as bitcoin-cli reads it: JSON when it parses as a number, true, false,
// null, an array or an object ("\"7\"" is the string 7); otherwise the text as a string. A
// number-looking word of 32 characters or more (a hash of decimal digits) stays a string.
boost::json::value parse_json_arg(std::string_view text);

// A result as bitcoin-cli prints it: a string raw, null as nothing, anything else as
// indented JSON; with a final newline unless empty.
std::string rpc_result_text(const boost::json::value& result);

}  // namespace tally::base
