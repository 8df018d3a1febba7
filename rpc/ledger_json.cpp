// The JSON shapes of ledger objects shared by the RPC server and tally-cli.
#include "rpc/ledger_json.h"

#include <cstdio>

#include "crypto/hex.h"
#include "ledger/pow.h"

namespace tally::rpc {

namespace json = boost::json;

std::string encode_address(const crypto::Address& address, const ledger::ChainSpec& spec) {
  return crypto::encode_address(address, spec.address_prefix);
}

std::string hex_u256(const ledger::Uint256& v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(64, '0');
  ledger::Uint256 x = v;
  for (int i = 63; i >= 0 && x != 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[static_cast<unsigned>(x & 0xf)];
    x >>= 4;
  }
  return out;
}

std::string bits_hex(std::uint32_t bits) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", bits);
  return buf;
}

double difficulty(std::uint32_t bits, const ledger::ChainSpec& spec) {
  auto target = ledger::target_from_compact(bits);
  if (!target || *target == 0) return 0;
  return spec.pow_limit().convert_to<double>() / target->convert_to<double>();
}

json::object header_json(const BlockSummary& s, const ledger::ChainSpec& spec) {
  json::object o;
  o["hash"] = crypto::to_hex(s.hash);
  o["confirmations"] = s.confirmations;
  o["height"] = s.header.height;
  o["version"] = s.header.version;
  o["merkleroot"] = crypto::to_hex(s.header.tx_root);
  o["stateroot"] = crypto::to_hex(s.header.state_root);
  o["time"] = s.header.time;
  o["mediantime"] = s.median_time;
  o["nonce"] = s.header.nonce;
  o["bits"] = bits_hex(s.header.bits);
  o["difficulty"] = difficulty(s.header.bits, spec);
  o["chainwork"] = s.chain_work_hex;
  o["status"] = s.status;
  if (s.header.height > 0) o["previousblockhash"] = crypto::to_hex(s.header.prev_hash);
  if (s.next) o["nextblockhash"] = crypto::to_hex(*s.next);
  return o;
}

json::object tx_json(const ledger::Transaction& tx, const ledger::ChainSpec& spec) {
  json::object o;
  o["txid"] = crypto::to_hex(tx.txid());
  o["size"] = ledger::Transaction::kSize;
  o["chain_id"] = tx.chain_id;
  o["coinbase"] = tx.is_coinbase();
  if (tx.is_coinbase()) {
    o["from"] = nullptr;
    o["sender"] = nullptr;
  } else {
    o["from"] = encode_address(crypto::address_of(tx.sender), spec);
    o["sender"] = crypto::to_hex(tx.sender);
  }
  o["to"] = encode_address(tx.recipient, spec);
  o["amount"] = tx.amount;
  o["fee"] = tx.fee;
  o["nonce"] = tx.nonce;
  o["signature"] = crypto::to_hex(tx.signature);
  return o;
}

json::object block_json(const BlockSummary& s, const ledger::Block& block, int verbosity,
                        const ledger::ChainSpec& spec) {
  json::object o = header_json(s, spec);
  o["size"] = block.encoded_size();
  o["ntx"] = block.txs.size();
  json::array txs;
  txs.reserve(block.txs.size());
  for (const auto& tx : block.txs) {
    if (verbosity >= 2) txs.emplace_back(tx_json(tx, spec));
    else txs.emplace_back(crypto::to_hex(tx.txid()));
  }
  o["tx"] = std::move(txs);
  return o;
}

}  // namespace tally::rpc
