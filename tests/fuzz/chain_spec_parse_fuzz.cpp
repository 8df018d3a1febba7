// Fuzz target: ledger::parse_chain_spec on arbitrary text (genesis/*.json).
// Invariants: never crashes and no exception escapes (every refusal is an error value naming
// what is wrong); an accepted spec obeys the rules the parser promises (name and prefix
// lengths, positive intervals, valid compact targets with the genesis no easier than the
// limit, distinct non-zero ports, distinct accounts with positive balances whose total fits
// 64 bits); its genesis block can be built; and the spec written back as JSON (integers or
// "0x" hex strings, addresses re-encoded) parses to the same spec, parameter hash and
// genesis hash.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "crypto/address.h"
#include "fuzz_check.h"
#include "ledger/chain_spec.h"
#include "ledger/pow.h"

using namespace tally;
namespace json = boost::json;

namespace {

json::value hex_or_int(std::uint64_t v, bool hex) {
  if (!hex) return json::value(v);
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return json::value(buf);
}

// The spec as a chain spec file. `style` picks integers or hex strings per field.
std::string write_spec(const ledger::ChainSpec& s, unsigned style) {
  json::object o;
  o["name"] = s.name;
  o["chain_id"] = hex_or_int(s.chain_id, style & 1);
  o["address_prefix"] = s.address_prefix;
  o["network_magic"] = hex_or_int(s.network_magic, style & 2);
  o["genesis_time"] = hex_or_int(s.genesis_time, style & 4);
  o["genesis_bits"] = hex_or_int(s.genesis_bits, style & 2);
  o["pow_limit_bits"] = hex_or_int(s.pow_limit_bits, style & 1);
  o["block_interval_s"] = hex_or_int(static_cast<std::uint64_t>(s.block_interval_s), style & 4);
  o["asert_half_life_s"] = s.asert_half_life_s;
  o["subsidy"] = hex_or_int(s.subsidy, style & 8);
  o["max_block_txs"] = s.max_block_txs;
  o["min_fee"] = hex_or_int(s.min_fee, style & 8);
  o["max_future_drift_s"] = s.max_future_drift_s;
  o["default_p2p_port"] = s.default_p2p_port;
  o["default_rpc_port"] = hex_or_int(s.default_rpc_port, style & 1);
  json::array accounts;
  for (const auto& a : s.accounts) {
    json::object e;
    e["address"] = crypto::encode_address(a.address, s.address_prefix);
    e["balance"] = hex_or_int(a.balance, style & 4);
    accounts.push_back(std::move(e));
  }
  o["accounts"] = std::move(accounts);
  if (style & 16) o["comment"] = "written back by the fuzz target";
  return json::serialize(o);
}

bool same(const ledger::ChainSpec& a, const ledger::ChainSpec& b) {
  if (a.accounts.size() != b.accounts.size()) return false;
  for (std::size_t i = 0; i < a.accounts.size(); ++i)
    if (a.accounts[i].address != b.accounts[i].address || a.accounts[i].balance != b.accounts[i].balance) return false;
  return a.name == b.name && a.chain_id == b.chain_id && a.address_prefix == b.address_prefix &&
         a.network_magic == b.network_magic && a.genesis_time == b.genesis_time && a.genesis_bits == b.genesis_bits &&
         a.pow_limit_bits == b.pow_limit_bits && a.block_interval_s == b.block_interval_s &&
         a.asert_half_life_s == b.asert_half_life_s && a.subsidy == b.subsidy && a.max_block_txs == b.max_block_txs &&
         a.min_fee == b.min_fee && a.max_future_drift_s == b.max_future_drift_s &&
         a.default_p2p_port == b.default_p2p_port && a.default_rpc_port == b.default_rpc_port;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = ledger::parse_chain_spec(text);
  if (!spec) {
    FUZZ_CHECK(!spec.error().empty());
    return 0;
  }
  const ledger::ChainSpec& s = *spec;
  FUZZ_CHECK(!s.name.empty() && s.name.size() <= 64);
  FUZZ_CHECK(!s.address_prefix.empty() && s.address_prefix.size() <= 16);
  FUZZ_CHECK(s.block_interval_s >= 1 && s.asert_half_life_s >= 1 && s.max_block_txs >= 1);
  FUZZ_CHECK(s.network_magic != 0);
  FUZZ_CHECK(s.default_p2p_port != 0 && s.default_rpc_port != 0 && s.default_p2p_port != s.default_rpc_port);
  const auto limit = ledger::target_from_compact(s.pow_limit_bits);
  const auto genesis_target = ledger::target_from_compact(s.genesis_bits);
  FUZZ_CHECK(limit && genesis_target && *genesis_target <= *limit);
  FUZZ_CHECK(s.pow_limit() == *limit);
  ledger::Amount total = 0;
  for (std::size_t i = 0; i < s.accounts.size(); ++i) {
    FUZZ_CHECK(s.accounts[i].balance > 0);
    FUZZ_CHECK(ledger::checked_add(total, s.accounts[i].balance, total));
    for (std::size_t j = 0; j < i; ++j) FUZZ_CHECK(s.accounts[j].address != s.accounts[i].address);
  }
  FUZZ_CHECK(s.total_supply_at_genesis() == total);

  const ledger::Block genesis = s.genesis_block();
  FUZZ_CHECK(genesis.header.height == 0 && genesis.txs.empty());
  FUZZ_CHECK(genesis.header.prev_hash == s.params_hash());
  FUZZ_CHECK(genesis.header.bits == s.genesis_bits && genesis.header.time == s.genesis_time);
  (void)s.asert_params(static_cast<std::int64_t>(s.genesis_time) + s.block_interval_s);

  // Written back (in a style chosen by the input) and read again: the same chain.
  const unsigned style = size > 0 ? data[size - 1] : 0;
  const std::string again_text = write_spec(s, style);
  auto again = ledger::parse_chain_spec(again_text);
  if (!again) {
    std::fprintf(stderr, "written back spec refused: %s\n%s\n", again.error().c_str(), again_text.c_str());
    FUZZ_CHECK(again.has_value());
  }
  FUZZ_CHECK(same(s, *again));
  FUZZ_CHECK(again->params_hash() == s.params_hash());
  FUZZ_CHECK(again->genesis_hash() == s.genesis_hash());
  return 0;
}
