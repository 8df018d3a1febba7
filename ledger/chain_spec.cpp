#include "ledger/chain_spec.h"

#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "base/json_read.h"
#include "crypto/sha256.h"
#include "ledger/state_hash.h"

namespace tally::ledger {

namespace json = boost::json;

namespace {

using base::json_fail;
using base::json_field;
using base::JsonReadError;

// Unsigned integer: a JSON integer, or a "0x..." hex string (for bits and magic).
std::uint64_t spec_uint(const json::value& v, std::uint64_t max) {
  std::uint64_t out = 0;
  if (v.is_uint64()) {
    out = v.as_uint64();
  } else if (v.is_int64()) {
    if (v.as_int64() < 0) json_fail("must not be negative");
    out = static_cast<std::uint64_t>(v.as_int64());
  } else if (v.is_string()) {
    const std::string s(v.as_string());
    if (s.size() < 3 || s.size() > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
      json_fail("must be an integer or a \"0x\" hex string");
    std::size_t used = 0;
    try {
      out = std::stoull(s.substr(2), &used, 16);
    } catch (const std::exception&) {
      json_fail("is not a valid hex number");
    }
    if (used != s.size() - 2) json_fail("is not a valid hex number");
  } else {
    json_fail("must be an integer");
  }
  if (out > max) json_fail("is too large (max " + std::to_string(max) + ")");
  return out;
}

template <class T>
T uint_field(const json::object& o, std::string_view key, std::uint64_t max) {
  return static_cast<T>(json_field(o, key, [max](const json::value& v) { return spec_uint(v, max); }));
}

GenesisAccount read_account(const json::value& v, const std::string& address_prefix) {
  const json::object& o = base::json_object(v);
  base::json_only_keys(o, {"address", "balance", "comment"});
  GenesisAccount a;
  a.address = json_field(o, "address", [&](const json::value& text) {
    auto addr = crypto::decode_address(base::json_string(text), address_prefix);
    if (!addr) json_fail(crypto::to_string(addr.error()));
    return *addr;
  });
  a.balance = uint_field<Amount>(o, "balance", UINT64_MAX);
  if (a.balance == 0) throw JsonReadError("balance", "must be positive");
  return a;
}

// Rules between fields, once every field is read.
void check_consistency(const ChainSpec& s) {
  if (s.block_interval_s < 1) throw JsonReadError("block_interval_s", "must be at least 1");
  if (s.asert_half_life_s < 1) throw JsonReadError("asert_half_life_s", "must be at least 1");
  if (s.max_block_txs < 1) throw JsonReadError("max_block_txs", "must be at least 1 (the coinbase)");
  if (s.network_magic == 0) throw JsonReadError("network_magic", "must not be zero");
  const auto limit = target_from_compact(s.pow_limit_bits);
  if (!limit) throw JsonReadError("pow_limit_bits", "is not a valid compact target");
  const auto genesis_target = target_from_compact(s.genesis_bits);
  if (!genesis_target) throw JsonReadError("genesis_bits", "is not a valid compact target");
  if (*genesis_target > *limit) throw JsonReadError("genesis_bits", "is easier than pow_limit_bits");
  if (s.default_p2p_port == 0 || s.default_rpc_port == 0 || s.default_p2p_port == s.default_rpc_port)
    throw JsonReadError("default_p2p_port", "ports must be non-zero and distinct");
}

// Distinct addresses, and a total supply that fits 64 bits.
void check_accounts(const std::vector<GenesisAccount>& accounts) {
  std::set<crypto::Address> seen;
  Amount total = 0;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    const std::string where = "accounts[" + std::to_string(i) + "]";
    if (!seen.insert(accounts[i].address).second) throw JsonReadError(where + ".address", "duplicate account");
    if (!checked_add(total, accounts[i].balance, total))
      throw JsonReadError(where + ".balance", "total supply overflows 64 bits");
  }
}

}  // namespace

// boost::json::value_to<ChainSpec>: every field, then the rules between them. Throws
// base::JsonReadError naming the field; parse_chain_spec() is the library's entry point.
ChainSpec tag_invoke(json::value_to_tag<ChainSpec>, const json::value& v) {
  const json::object& o = base::json_object(v, "chain spec must be a JSON object");
  base::json_only_keys(o, {"name", "chain_id", "address_prefix", "network_magic", "genesis_time", "genesis_bits",
                           "pow_limit_bits", "block_interval_s", "asert_half_life_s", "subsidy", "max_block_txs",
                           "min_fee", "max_future_drift_s", "default_p2p_port", "default_rpc_port", "accounts",
                           "comment"});
  ChainSpec s;
  s.name = json_field(o, "name", [](const json::value& n) {
    std::string name = base::json_string(n);
    if (name.empty() || name.size() > 64) json_fail("must be 1..64 characters");
    return name;
  });
  s.address_prefix = json_field(o, "address_prefix", [](const json::value& p) {
    std::string prefix = base::json_string(p);
    if (prefix.empty() || prefix.size() > 16) json_fail("must be 1..16 characters");
    for (char c : prefix)
      if (c < 'a' || c > 'z') json_fail("must be lower-case letters a-z");
    return prefix;
  });
  s.chain_id = uint_field<std::uint32_t>(o, "chain_id", UINT32_MAX);
  s.network_magic = uint_field<std::uint32_t>(o, "network_magic", UINT32_MAX);
  s.genesis_time = uint_field<std::uint32_t>(o, "genesis_time", UINT32_MAX);
  s.genesis_bits = uint_field<std::uint32_t>(o, "genesis_bits", UINT32_MAX);
  s.pow_limit_bits = uint_field<std::uint32_t>(o, "pow_limit_bits", UINT32_MAX);
  s.block_interval_s = uint_field<std::int64_t>(o, "block_interval_s", 86400);
  s.asert_half_life_s = uint_field<std::int64_t>(o, "asert_half_life_s", 365 * 86400);
  s.subsidy = uint_field<Amount>(o, "subsidy", UINT64_MAX);
  s.max_block_txs = uint_field<std::uint32_t>(o, "max_block_txs", kMaxBlockTxsDecode);
  s.min_fee = uint_field<Amount>(o, "min_fee", UINT64_MAX);
  s.max_future_drift_s = uint_field<std::int64_t>(o, "max_future_drift_s", 86400);
  s.default_p2p_port = uint_field<std::uint16_t>(o, "default_p2p_port", 65535);
  s.default_rpc_port = uint_field<std::uint16_t>(o, "default_rpc_port", 65535);
  check_consistency(s);
  s.accounts = json_field(o, "accounts", [&](const json::value& a) {
    base::json_array(a, "must be an array");
    return base::json_elements(a, [&](const json::value& e) { return read_account(e, s.address_prefix); });
  });
  check_accounts(s.accounts);
  return s;
}

Uint256 ChainSpec::pow_limit() const { return target_from_compact(pow_limit_bits).value_or(0); }

AsertParams ChainSpec::asert_params(std::int64_t block1_time) const {
  return AsertParams{genesis_bits, block1_time, 1, block_interval_s, asert_half_life_s, pow_limit()};
}

crypto::Hash256 ChainSpec::params_hash() const {
  Writer w;
  w.var_bytes(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(name.data()), name.size()));
  w.u32(chain_id);
  w.var_bytes(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(address_prefix.data()), address_prefix.size()));
  w.u32(network_magic);
  w.u32(genesis_time);
  w.u32(genesis_bits);
  w.u32(pow_limit_bits);
  w.u64(static_cast<std::uint64_t>(block_interval_s));
  w.u64(static_cast<std::uint64_t>(asert_half_life_s));
  w.u64(subsidy);
  w.u32(max_block_txs);
  w.u64(min_fee);
  w.u64(static_cast<std::uint64_t>(max_future_drift_s));
  w.compact_size(accounts.size());
  for (const auto& a : accounts) {
    w.fixed(a.address);
    w.u64(a.balance);
  }
  return crypto::tagged_hash("Tally/ChainSpec", w.data());
}

Block ChainSpec::genesis_block() const {
  StateHash state;
  for (const auto& a : accounts) state.add(a.address, Account{a.balance, 0});
  Block b;
  b.header.version = 1;
  b.header.height = 0;
  b.header.prev_hash = params_hash();
  b.header.tx_root = Hash256{};
  b.header.state_root = state.digest();
  b.header.time = genesis_time;
  b.header.bits = genesis_bits;
  b.header.nonce = 0;
  return b;
}

Amount ChainSpec::total_supply_at_genesis() const {
  Amount total = 0;
  for (const auto& a : accounts) (void)checked_add(total, a.balance, total);
  return total;
}

std::expected<ChainSpec, std::string> parse_chain_spec(std::string_view text) {
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) return std::unexpected("chain spec is not valid JSON: " + ec.message());
  return base::read_json<ChainSpec>(root);
}

std::expected<ChainSpec, std::string> load_chain_spec_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::unexpected("cannot open chain spec " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  auto spec = parse_chain_spec(buf.str());
  if (!spec) return std::unexpected(path + ": " + spec.error());
  return spec;
}

}  // namespace tally::ledger
