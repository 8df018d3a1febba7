// Fuzz target: rpc::parse_rpcauth (the --rpcauth / $TALLY_RPCAUTH line) on arbitrary text.
// Invariants: a parsed line has a user without ':' and a salt, and writes back as the input
// (the hmac's hex in lower case); an Authenticator holding it accepts no empty password by
// accident and never throws; a line rpcauth_line made always parses back to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/base64.h"
#include "crypto/hex.h"
#include "fuzz_check.h"
#include "rpc/auth.h"

using namespace tally;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = rpc::parse_rpcauth(text);
  if (parsed) {
    FUZZ_CHECK(!parsed->user.empty() && parsed->user.find(':') == std::string::npos);
    FUZZ_CHECK(!parsed->salt.empty());
    const std::string back = parsed->user + ":" + parsed->salt + "$" +
                             crypto::to_hex(crypto::ByteSpan(parsed->hmac.data(), parsed->hmac.size()));
    std::string lower(text);
    const std::size_t dollar = lower.rfind('$');
    for (std::size_t i = dollar; i < lower.size(); ++i)
      if (lower[i] >= 'A' && lower[i] <= 'F') lower[i] = static_cast<char>(lower[i] - 'A' + 'a');
    FUZZ_CHECK(back == lower);
    rpc::Authenticator auth;
    auth.allow_hashed(*parsed);
    (void)auth.check("Basic " + crypto::base64_encode(parsed->user + ":"));
  } else {
    FUZZ_CHECK(!parsed.error().empty());
  }
  // Any user without ':' and any salt without '$' make a line that parses back.
  const std::size_t cut = size / 2;
  std::string user(text.substr(0, cut)), salt(text.substr(cut));
  std::erase(user, ':');
  std::erase(salt, '$');
  if (user.empty() || salt.empty()) return 0;
  auto line = rpc::rpcauth_line(user, "password", salt);
  auto again = rpc::parse_rpcauth(line);
  FUZZ_CHECK(again && again->user == user && again->salt == salt);
  rpc::Authenticator auth;
  auth.allow_hashed(*again);
  FUZZ_CHECK(auth.check("Basic " + crypto::base64_encode(user + ":password")) == user);
  return 0;
}
