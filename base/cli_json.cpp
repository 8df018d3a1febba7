// The command-line tools' reading of RPC arguments and printing of results (bitcoin-cli's).
#include "base/cli_json.h"

#include <boost/json/parse.hpp>

#include "base/json_pretty.h"

namespace tally::base {

namespace json = boost::json;

json::value parse_json_arg(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return json::value(json::string(text.data(), text.size()));
  if (v.is_number() && text.size() >= 32) return json::value(json::string(text.data(), text.size()));
  return v;
}

std::string rpc_result_text(const json::value& result) {
  if (result.is_null()) return "";
  if (const auto* s = result.if_string()) return std::string(s->data(), s->size()) + "\n";
  return pretty_json(result) + "\n";
}

}  // namespace tally::base
