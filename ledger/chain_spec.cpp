#include "ledger/chain_spec.h"

#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "crypto/sha256.h"
#include "ledger/state_hash.h"

namespace tally::ledger {

namespace json = boost::json;

namespace {

using Result = std::expected<void, std::string>;

std::unexpected<std::string> fail(std::string_view field, std::string_view why) {
  return std::unexpected(std::string(field) + ": " + std::string(why));
}

// Unsigned integer field: a JSON integer, or a "0x..." hex string (for bits and magic).
std::expected<std::uint64_t, std::string> get_uint(const json::object& o, std::string_view key, std::uint64_t max) {
  const json::value* v = o.if_contains(key);
  if (!v) return fail(key, "missing");
  std::uint64_t out = 0;
  if (v->is_uint64()) {
    out = v->as_uint64();
  } else if (v->is_int64()) {
    if (v->as_int64() < 0) return fail(key, "must not be negative");
    out = static_cast<std::uint64_t>(v->as_int64());
  } else if (v->is_string()) {
    const std::string s(v->as_string());
    if (s.size() < 3 || s.size() > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
      return fail(key, "must be an integer or a \"0x\" hex string");
    std::size_t used = 0;
    try {
      out = std::stoull(s.substr(2), &used, 16);
    } catch (const std::exception&) {
      return fail(key, "is not a valid hex number");
    }
    if (used != s.size() - 2) return fail(key, "is not a valid hex number");
  } else {
    return fail(key, "must be an integer");
  }
  if (out > max) return fail(key, "is too large (max " + std::to_string(max) + ")");
  return out;
}

std::expected<std::string, std::string> get_string(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return fail(key, "missing");
  if (!v->is_string()) return fail(key, "must be a string");
  return std::string(v->as_string());
}

Result check_keys(const json::object& o, std::initializer_list<std::string_view> allowed, std::string_view where) {
  for (const auto& kv : o) {
    bool known = false;
    for (auto a : allowed) known = known || kv.key() == a;
    if (!known) return fail(std::string(where) + std::string(kv.key()), "unknown field");
  }
  return {};
}

}  // namespace

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
  if (!root.is_object()) return std::unexpected(std::string("chain spec must be a JSON object"));
  const json::object& o = root.as_object();
  if (auto r = check_keys(o,
                          {"name", "chain_id", "address_prefix", "network_magic", "genesis_time", "genesis_bits",
                           "pow_limit_bits", "block_interval_s", "asert_half_life_s", "subsidy", "max_block_txs",
                           "min_fee", "max_future_drift_s", "default_p2p_port", "default_rpc_port", "accounts",
                           "comment"},
                          "");
      !r)
    return std::unexpected(r.error());

  ChainSpec s;
#define TALLY_FIELD(field, key, max)            \
  {                                             \
    auto v = get_uint(o, key, max);             \
    if (!v) return std::unexpected(v.error());  \
    s.field = static_cast<decltype(s.field)>(*v); \
  }
  {
    auto v = get_string(o, "name");
    if (!v) return std::unexpected(v.error());
    if (v->empty() || v->size() > 64) return fail("name", "must be 1..64 characters");
    s.name = *v;
  }
  {
    auto v = get_string(o, "address_prefix");
    if (!v) return std::unexpected(v.error());
    if (v->empty() || v->size() > 16) return fail("address_prefix", "must be 1..16 characters");
    for (char c : *v)
      if (c < 'a' || c > 'z') return fail("address_prefix", "must be lower-case letters a-z");
    s.address_prefix = *v;
  }
  TALLY_FIELD(chain_id, "chain_id", UINT32_MAX);
  TALLY_FIELD(network_magic, "network_magic", UINT32_MAX);
  TALLY_FIELD(genesis_time, "genesis_time", UINT32_MAX);
  TALLY_FIELD(genesis_bits, "genesis_bits", UINT32_MAX);
  TALLY_FIELD(pow_limit_bits, "pow_limit_bits", UINT32_MAX);
  TALLY_FIELD(block_interval_s, "block_interval_s", 86400);
  TALLY_FIELD(asert_half_life_s, "asert_half_life_s", 365 * 86400);
  TALLY_FIELD(subsidy, "subsidy", UINT64_MAX);
  TALLY_FIELD(max_block_txs, "max_block_txs", kMaxBlockTxsDecode);
  TALLY_FIELD(min_fee, "min_fee", UINT64_MAX);
  TALLY_FIELD(max_future_drift_s, "max_future_drift_s", 86400);
  TALLY_FIELD(default_p2p_port, "default_p2p_port", 65535);
  TALLY_FIELD(default_rpc_port, "default_rpc_port", 65535);
#undef TALLY_FIELD

  if (s.block_interval_s < 1) return fail("block_interval_s", "must be at least 1");
  if (s.asert_half_life_s < 1) return fail("asert_half_life_s", "must be at least 1");
  if (s.max_block_txs < 1) return fail("max_block_txs", "must be at least 1 (the coinbase)");
  if (s.network_magic == 0) return fail("network_magic", "must not be zero");
  const auto limit = target_from_compact(s.pow_limit_bits);
  if (!limit) return fail("pow_limit_bits", "is not a valid compact target");
  const auto genesis_target = target_from_compact(s.genesis_bits);
  if (!genesis_target) return fail("genesis_bits", "is not a valid compact target");
  if (*genesis_target > *limit) return fail("genesis_bits", "is easier than pow_limit_bits");
  if (s.default_p2p_port == 0 || s.default_rpc_port == 0 || s.default_p2p_port == s.default_rpc_port)
    return fail("default_p2p_port", "ports must be non-zero and distinct");

  const json::value* accounts = o.if_contains("accounts");
  if (!accounts || !accounts->is_array()) return fail("accounts", "must be an array");
  std::set<crypto::Address> seen;
  Amount total = 0;
  std::size_t i = 0;
  for (const json::value& a : accounts->as_array()) {
    const std::string where = "accounts[" + std::to_string(i++) + "]";
    if (!a.is_object()) return fail(where, "must be an object");
    const json::object& ao = a.as_object();
    if (auto r = check_keys(ao, {"address", "balance", "comment"}, where + "."); !r) return std::unexpected(r.error());
    auto addr_text = get_string(ao, "address");
    if (!addr_text) return std::unexpected(where + "." + addr_text.error());
    auto addr = crypto::decode_address(*addr_text, s.address_prefix);
    if (!addr) return fail(where + ".address", crypto::to_string(addr.error()));
    auto balance = get_uint(ao, "balance", UINT64_MAX);
    if (!balance) return std::unexpected(where + "." + balance.error());
    if (*balance == 0) return fail(where + ".balance", "must be positive");
    if (!seen.insert(*addr).second) return fail(where + ".address", "duplicate account");
    if (!checked_add(total, *balance, total)) return fail(where + ".balance", "total supply overflows 64 bits");
    s.accounts.push_back(GenesisAccount{*addr, *balance});
  }
  return s;
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
