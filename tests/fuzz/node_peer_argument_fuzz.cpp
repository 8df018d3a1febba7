// Fuzz target: node::parse_peer_argument (tallyd's --connect/--addnode/--seed
// "[KEY@]host:port") on arbitrary text.
// Invariants: an accepted argument is either an address, which prints and parses back to
// itself, or a host name that is_host_name accepts, with a port in 1..65535; never both.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "node/node_key.h"

using namespace tally;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = node::parse_peer_argument(text);
  if (!parsed) {
    FUZZ_CHECK(!parsed.error().empty());
    return 0;
  }
  if (parsed->address) {
    FUZZ_CHECK(parsed->host_name.empty());
    auto again = p2p::parse_net_address(parsed->address->to_string());
    FUZZ_CHECK(again && *again == *parsed->address);
  } else {
    FUZZ_CHECK(node::is_host_name(parsed->host_name));
    FUZZ_CHECK(parsed->port != 0);
    auto again = node::parse_peer_argument(parsed->host_name + ":" + std::to_string(parsed->port));
    FUZZ_CHECK(again && !again->address && again->host_name == parsed->host_name && again->port == parsed->port);
  }
  return 0;
}
