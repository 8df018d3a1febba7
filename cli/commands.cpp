#include "cli/commands.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <ostream>

#include "base/cli_json.h"
#include "base/json_read.h"
#include "crypto/address.h"
#include "crypto/hex.h"
#include "ledger/block.h"
#include "ledger/pow.h"
#include "ledger/transaction.h"
#include "cli/connection.h"
#include "cli/keys.h"
#include "rpc/ledger_json.h"

namespace tally::cli {

namespace json = boost::json;

namespace {

int fail(const Context& ctx, const std::string& message) {
  ctx.err << "error: " << message << "\n";
  return 1;
}

// bitcoin-cli prints a string result raw, null as nothing, anything else as indented JSON.
void print_result(const Context& ctx, const json::value& v) { ctx.out << base::rpc_result_text(v); }

std::string address_text(const crypto::SecretKey& key, const ledger::ChainSpec& spec) {
  return crypto::encode_address(crypto::address_of(key.public_key()), spec.address_prefix);
}

// --- keygen, address ----------------------------------------------------------------------

int keygen(const Context& ctx) {
  auto args = parse_command_args(ctx.options.args, {"out"});
  if (!args) return fail(ctx, "keygen: " + args.error());
  if (!args->positional.empty()) return fail(ctx, "keygen takes no arguments (usage: keygen [--out FILE])");
  const crypto::SecretKey key = crypto::SecretKey::generate();
  if (auto out = args->get("out")) {
    if (auto r = write_key_file(*out, key, ctx.spec.address_prefix); !r) return fail(ctx, "keygen: " + r.error());
    ctx.out << address_text(key, ctx.spec) << "\n";
    return 0;
  }
  ctx.out << pretty_json(key_json(key, ctx.spec.address_prefix)) << "\n";
  return 0;
}

int address(const Context& ctx) {
  if (ctx.options.args.size() != 1) return fail(ctx, "usage: address KEYFILE|SECRETHEX|devnet:N");
  auto key = load_key(ctx.options.args[0]);
  if (!key) return fail(ctx, key.error());
  ctx.out << address_text(*key, ctx.spec) << "\n";
  return 0;
}

// --- sign, send ---------------------------------------------------------------------------

// The node must run the chain whose id tally-cli signs for, or the transaction is refused
// with a less helpful "bad chain id".
std::expected<void, std::string> check_node_chain(RpcSession& session, const ledger::ChainSpec& spec,
                                                  std::optional<CallFailure>& failure) {
  auto info = session.call("getblockchaininfo", json::array());
  if (!info) {
    failure = info.error();
    return std::unexpected(std::string());
  }
  // A node that does not say which chain it runs is given the benefit of the doubt.
  auto id = base::read_json_with([&] { return base::json_optional<std::uint32_t>(base::json_object(*info), "chain_id"); });
  if (!id || !*id || **id == spec.chain_id) return {};
  const json::value* name = info->as_object().if_contains("chain");
  return std::unexpected("the node runs chain " + (name != nullptr ? json::serialize(*name) : std::string("?")) +
                         " (chain id " + std::to_string(**id) + ") but tally-cli signs for \"" + spec.name +
                         "\" (chain id " + std::to_string(spec.chain_id) + "): pass --chain with the node's chain spec file");
}

int sign_or_send(const Context& ctx, bool send) {
  const char* name = send ? "send" : "sign";
  const std::string usage = std::string("usage: ") + name +
                            " --key KEY --to ADDRESS --amount AMOUNT [--fee AMOUNT] [--nonce N]";
  auto args = parse_command_args(ctx.options.args, {"key", "to", "amount", "fee", "nonce"});
  if (!args) return fail(ctx, std::string(name) + ": " + args.error());
  if (!args->positional.empty()) return fail(ctx, "unexpected argument '" + args->positional[0] + "'; " + usage);
  const auto key_name = args->get("key");
  const auto to_text = args->get("to");
  const auto amount_text = args->get("amount");
  if (!key_name || !to_text || !amount_text) return fail(ctx, usage);

  auto key = load_key(*key_name);
  if (!key) return fail(ctx, key.error());
  auto to = crypto::decode_address(*to_text, ctx.spec.address_prefix);
  if (!to)
    return fail(ctx, "--to " + *to_text + ": " + crypto::to_string(to.error()) + " (this chain's addresses start with " +
                         ctx.spec.address_prefix + "1)");
  auto amount = parse_amount(*amount_text);
  if (!amount) return fail(ctx, "--amount: " + amount.error());
  std::uint64_t fee = ctx.spec.min_fee;
  if (auto f = args->get("fee")) {
    auto v = parse_amount(*f);
    if (!v) return fail(ctx, "--fee: " + v.error());
    fee = *v;
  }

  RpcSession session(ctx.options, ctx.spec);
  std::optional<CallFailure> failure;
  const bool online = send || !args->get("nonce");
  if (online) {
    if (auto ok = check_node_chain(session, ctx.spec, failure); !ok) {
      if (failure) {
        failure->print(ctx.err);
        return 1;
      }
      return fail(ctx, ok.error());
    }
  }
  std::uint64_t nonce = 0;
  if (auto n = args->get("nonce")) {
    auto v = parse_u64(*n);
    if (!v) return fail(ctx, "--nonce: " + v.error());
    nonce = *v;
  } else {
    // The next nonce after the sender's pooled transactions, so several sends in a row chain.
    auto account = session.call("getaccount", json::array{json::value(address_text(*key, ctx.spec))});
    if (!account) {
      account.error().print(ctx.err);
      return 1;
    }
    auto pending = base::read_json_with(
        [&] { return base::json_field<std::uint64_t>(base::json_object(*account), "pending_nonce"); });
    if (!pending) return fail(ctx, "getaccount returned no pending_nonce (" + pending.error() + ")");
    nonce = *pending;
  }

  const ledger::Transaction tx = ledger::make_transfer(*key, ctx.spec.chain_id, *to, *amount, fee, nonce);
  const std::string hex = crypto::to_hex(tx.encode());
  if (!send) {
    ctx.out << hex << "\n";
    return 0;
  }
  auto txid = session.call("sendrawtransaction", json::array{json::value(hex)});
  if (!txid) {
    txid.error().print(ctx.err);
    return 1;
  }
  print_result(ctx, *txid);
  return 0;
}

// --- decode -------------------------------------------------------------------------------

json::object header_fields(const ledger::BlockHeader& h, const ledger::ChainSpec& spec) {
  json::object o;
  o["hash"] = crypto::to_hex(h.hash());
  o["height"] = h.height;
  o["version"] = h.version;
  o["previousblockhash"] = crypto::to_hex(h.prev_hash);
  o["merkleroot"] = crypto::to_hex(h.tx_root);
  o["stateroot"] = crypto::to_hex(h.state_root);
  o["time"] = h.time;
  o["bits"] = rpc::bits_hex(h.bits);
  o["difficulty"] = rpc::difficulty(h.bits, spec);
  o["nonce"] = h.nonce;
  o["pow_valid"] = ledger::check_proof_of_work(h.hash(), h.bits, spec.pow_limit());
  return o;
}

int decode(const Context& ctx) {
  if (ctx.options.args.size() != 1) return fail(ctx, "usage: decode HEX (a raw transaction, block header or block)");
  const std::string& hex = ctx.options.args[0];
  auto bytes = crypto::from_hex(hex);
  if (!bytes) return fail(ctx, std::string("decode: not hex: ") + crypto::to_string(bytes.error()));
  const crypto::ByteSpan in(*bytes);
  if (bytes->size() == ledger::Transaction::kSize) {
    auto tx = ledger::Transaction::decode(in);
    if (!tx) return fail(ctx, std::string("decode: transaction: ") + ledger::to_string(tx.error()));
    json::object o = rpc::tx_json(*tx, ctx.spec);
    if (!tx->is_coinbase()) o["signature_valid"] = tx->has_valid_signature();
    if (tx->chain_id != ctx.spec.chain_id) o["warning"] = "chain id differs from the chain spec's";
    print_result(ctx, o);
    return 0;
  }
  if (bytes->size() == ledger::BlockHeader::kSize) {
    auto h = ledger::BlockHeader::decode(in);
    if (!h) return fail(ctx, std::string("decode: header: ") + ledger::to_string(h.error()));
    print_result(ctx, header_fields(*h, ctx.spec));
    return 0;
  }
  auto block = ledger::Block::decode(in, ledger::kMaxBlockTxsDecode);
  if (!block)
    return fail(ctx, "decode: " + std::to_string(bytes->size()) + " bytes are neither a transaction (" +
                         std::to_string(ledger::Transaction::kSize) + "), a header (" +
                         std::to_string(ledger::BlockHeader::kSize) + ") nor a block: " +
                         ledger::to_string(block.error()));
  json::object o = header_fields(block->header, ctx.spec);
  o["merkleroot_valid"] = block->compute_tx_root() == block->header.tx_root;
  o["size"] = block->encoded_size();
  o["ntx"] = block->txs.size();
  json::array txs;
  for (const auto& tx : block->txs) txs.emplace_back(rpc::tx_json(tx, ctx.spec));
  o["tx"] = std::move(txs);
  print_result(ctx, o);
  return 0;
}

// GET /health (no credentials needed): prints the node's answer; 0 only when it is serving.
// The container image's health check.
int health(const Context& ctx) {
  if (!ctx.options.args.empty()) return fail(ctx, "health takes no arguments");
  rpc::RpcClient client(ctx.options.rpcconnect, rpc_port_of(ctx.options, ctx.spec), rpc::Credentials{},
                        std::chrono::seconds(std::min(ctx.options.timeout_s, 10)));
  auto r = client.get("/health", false);
  if (!r) return fail(ctx, "health: " + r.error().message);
  ctx.out << r->second << "\n";
  return r->first == 200 ? 0 : 1;
}

}  // namespace

bool is_local_command(std::string_view name) {
  return name == "keygen" || name == "address" || name == "sign" || name == "send" || name == "decode" ||
         name == "health";
}

int run_local_command(const Context& ctx) {
  const std::string& c = ctx.options.command;
  if (c == "keygen") return keygen(ctx);
  if (c == "address") return address(ctx);
  if (c == "sign") return sign_or_send(ctx, false);
  if (c == "send") return sign_or_send(ctx, true);
  if (c == "decode") return decode(ctx);
  if (c == "health") return health(ctx);
  return fail(ctx, "unknown command " + c);
}

int run_rpc_command(const Context& ctx) {
  json::value params;
  if (ctx.options.named) {
    json::object o;
    for (const auto& a : ctx.options.args) {
      const auto eq = a.find('=');
      if (eq == std::string::npos || eq == 0) return fail(ctx, "--named: expected name=value, got '" + a + "'");
      const std::string key = a.substr(0, eq);
      if (o.contains(key)) return fail(ctx, "--named: parameter " + key + " given twice");
      o[key] = parse_json_arg(std::string_view(a).substr(eq + 1));
    }
    params = std::move(o);
  } else {
    json::array a;
    for (const auto& s : ctx.options.args) a.emplace_back(parse_json_arg(s));
    params = std::move(a);
  }
  RpcSession session(ctx.options, ctx.spec);
  auto result = session.call(ctx.options.command, params);
  if (!result) {
    result.error().print(ctx.err);
    return 1;
  }
  print_result(ctx, *result);
  return 0;
}

std::string usage_text() {
  return R"(tally-cli: command-line client of tallyd (JSON-RPC), keys and transactions.

Usage:
  tally-cli [options] METHOD [ARGS...]     call an RPC method of a running tallyd
  tally-cli [options] help [METHOD]        list the node's methods, or one method's usage
  tally-cli [options] keygen [--out FILE]
  tally-cli [options] address KEY
  tally-cli [options] sign --key KEY --to ADDRESS --amount AMOUNT [--fee AMOUNT] [--nonce N]
  tally-cli [options] send --key KEY --to ADDRESS --amount AMOUNT [--fee AMOUNT] [--nonce N]
  tally-cli [options] decode HEX

Options (before METHOD; --name VALUE or --name=VALUE):
  --datadir DIR        tallyd's data directory: its .cookie authenticates, its node.json
                       gives the RPC port (default ~/.tally/<chain name>, i.e.
                       ~/.tally/tally-devnet for the devnet)
  --rpcconnect HOST    tallyd's RPC address (default 127.0.0.1)
  --rpcport N          tallyd's RPC port (default: <datadir>/node.json, else the chain
                       spec's default_rpc_port, 17078 on the devnet)
  --rpcuser USER       HTTP Basic credentials configured with tallyd --rpcuser/--rpcpassword,
  --rpcpassword PASS   instead of the cookie
  --chain FILE         chain spec JSON (address prefix, chain id, min fee, default port);
                       default: the devnet spec built in (genesis/devnet.json)
  --named              pass ARGS as name=value pairs (a params object)
  --rpcwait            wait for tallyd to start answering
  --rpcwaittimeout S   give up waiting after S seconds (default 0: wait forever)
  --timeout S          HTTP request timeout in seconds (default 900)
  --help, --version

RPC arguments are JSON when they parse as JSON (numbers, true, false, null, [arrays],
{objects}; write '"7"' for the string 7), otherwise strings. Results are printed as
indented JSON; a string result raw; null prints nothing. Examples:
  tally-cli getblockcount
  tally-cli getblock <hash> 2
  tally-cli --named getblock blockhash=<hash> verbosity=0
  tally-cli generate 5

Commands that run here:
  keygen [--out FILE]  a new random key. With --out, writes {"secret_key","public_key",
                       "address"} to FILE with mode 0600 (never overwrites) and prints the
                       address; without, prints that JSON.
  address KEY          the address of a key.
  sign ...             builds and signs a transfer and prints its raw hex (288 digits). The
                       nonce defaults to the sender's pending_nonce from the node
                       (getaccount), so without --nonce the node must be reachable.
  send ...             sign, then sendrawtransaction; prints the txid.
  decode HEX           a raw transaction (288 hex digits), block header (232) or block as
                       JSON, with signature, proof-of-work and Merkle root checks.
  health               GET /health (no credentials): prints the node's status; exit 0 only
                       when it serves (the container image's health check).

  KEY is a key file (as keygen writes it, or 64 hex digits in a file), 64 hex digits, or
  devnet:N for the N-th public devnet key (secret = SHA-256("Tally devnet key " + N), see
  genesis/devnet-keys.json; the devnet funds 0 to 9; DEVNET ONLY).
  AMOUNT is in base units (150000000) or coins with the suffix tly (1.5tly; 1 TLY = 10^8
  units). --fee defaults to the chain's min_fee (1000 on the devnet).

Exit status: 0 on success; 1 on any error. RPC errors are printed to stderr as
  error code: N
  error message:
  ...
)";
}

}  // namespace tally::cli
