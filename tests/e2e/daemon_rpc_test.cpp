// Every RPC method of a real tallyd: its happy path and at least one error. The node runs a
// test chain with trivial proof-of-work and the devnet's funded keys (process.h), so
// `generate` takes milliseconds.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <set>

#include "crypto/hex.h"
#include "ledger/block.h"
#include "ledger/pow.h"
#include "ledger/transaction.h"
#include "tests/e2e/process.h"

namespace tally::e2e {
namespace {

namespace json = boost::json;

constexpr std::uint32_t kChainId = kFastChainId;

crypto::SecretKey devnet_secret(std::size_t i) {
  const auto bytes = crypto::from_hex(devnet_keys().at(i).secret_key).value();
  return crypto::SecretKey::from_bytes(bytes).value();
}

crypto::Address address_from(const std::string& text) { return crypto::decode_address(text, "tly").value(); }

class DaemonRpc : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_.start("tally-rpc-e2e", {}, kChainId, /*blocks=*/3);
    if (suite_.error.empty()) client_ = std::make_unique<rpc::RpcClient>(suite_.node->client());
  }
  static void TearDownTestSuite() {
    client_.reset();
    suite_.stop();
  }
  void SetUp() override { ASSERT_TRUE(suite_.error.empty()) << suite_.error; }

  // The result of a call that must succeed.
  static json::value ok(const std::string& method, const json::array& params = {}) {
    auto r = client_->call(method, params);
    EXPECT_TRUE(r) << method << " " << json::serialize(params) << ": " << (r ? "" : r.error().message);
    return r ? *r : json::value();
  }
  // The JSON-RPC error code of a call that must fail (0 if it succeeded).
  static int error_of(const std::string& method, const json::value& params = json::array{}) {
    auto r = client_->call(method, params);
    if (r) {
      ADD_FAILURE() << method << " " << json::serialize(params) << " succeeded: " << json::serialize(*r);
      return 0;
    }
    EXPECT_EQ(r.error().kind, rpc::RpcCallError::Kind::kRpc) << r.error().message;
    return r.error().code;
  }
  static std::int64_t height() { return ok("getblockcount").as_int64(); }
  static std::string str(const json::value& v) { return std::string(v.as_string()); }

  static SuiteNode suite_;
  static std::unique_ptr<rpc::RpcClient> client_;
};

SuiteNode DaemonRpc::suite_;
std::unique_ptr<rpc::RpcClient> DaemonRpc::client_;

const std::string kUnknownHash(64, 'a');

TEST_F(DaemonRpc, ChainInfoCountAndBestHash) {
  const json::value info = ok("getblockchaininfo");
  EXPECT_EQ(info.at("chain").as_string(), "tally-e2e");
  EXPECT_EQ(info.at("chain_id").to_number<std::uint32_t>(), kChainId);
  const std::int64_t h = height();
  EXPECT_GE(h, 3);
  EXPECT_EQ(info.at("blocks").as_int64(), h);
  EXPECT_EQ(ok("getbestblockhash"), info.at("bestblockhash"));
  EXPECT_EQ(ok("getblockhash", {h}), info.at("bestblockhash"));
  EXPECT_EQ(ok("getblockhash", {0}), info.at("genesis"));

  EXPECT_EQ(error_of("getblockchaininfo", json::array{1}), -32602);
  EXPECT_EQ(error_of("getblockcount", json::array{1}), -32602);
  EXPECT_EQ(error_of("getbestblockhash", json::array{"x"}), -32602);
  EXPECT_EQ(error_of("getblockhash", json::array{h + 1000}), -8);
  EXPECT_EQ(error_of("getblockhash", json::array{-1}), -8);
  EXPECT_EQ(error_of("getblockhash", json::array{}), -32602);
}

TEST_F(DaemonRpc, BlocksAndHeaders) {
  const std::string hash = str(ok("getblockhash", {1}));
  const json::value b1 = ok("getblock", {json::value(hash)});
  EXPECT_EQ(b1.at("height").as_int64(), 1);
  EXPECT_EQ(b1.at("ntx").as_int64(), 1);
  EXPECT_TRUE(b1.at("tx").at(0).is_string());
  const json::value b2 = ok("getblock", {json::value(hash), 2});
  EXPECT_TRUE(b2.at("tx").at(0).at("coinbase").as_bool());
  const std::string hex = str(ok("getblock", {json::value(hash), 0}));
  auto decoded = ledger::Block::decode(crypto::from_hex(hex).value(), ledger::kMaxBlockTxsDecode);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(crypto::to_hex(decoded->hash()), hash);

  const json::value header = ok("getblockheader", {json::value(hash)});
  EXPECT_EQ(header.at("hash").as_string(), hash);
  EXPECT_GE(header.at("confirmations").as_int64(), 1);
  EXPECT_EQ(header.at("previousblockhash"), ok("getblockhash", {0}));
  const std::string header_hex = str(ok("getblockheader", {json::value(hash), false}));
  EXPECT_EQ(header_hex, hex.substr(0, 232));

  EXPECT_EQ(error_of("getblock", json::array{kUnknownHash}), -5);
  EXPECT_EQ(error_of("getblock", json::array{"xyz"}), -8);
  EXPECT_EQ(error_of("getblock", json::array{hash, 3}), -8);
  EXPECT_EQ(error_of("getblock", json::array{123}), -32602);
  EXPECT_EQ(error_of("getblockheader", json::array{kUnknownHash}), -5);
  EXPECT_EQ(error_of("getblockheader", json::array{hash, "yes"}), -32602);
}

TEST_F(DaemonRpc, AccountsAndStateHash) {
  const std::string addr = devnet_keys()[5].address;
  const json::value account = ok("getaccount", {json::value(addr)});
  EXPECT_EQ(account.at("address").as_string(), addr);
  EXPECT_EQ(account.at("balance").to_number<std::uint64_t>(), 100000000000000u);
  EXPECT_EQ(account.at("nonce").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(account.at("pending_nonce").to_number<std::uint64_t>(), 0u);
  // A never-seen address is an empty account, not an error.
  const std::string fresh = crypto::encode_address(crypto::address_of(crypto::SecretKey::generate().public_key()), "tly");
  EXPECT_EQ(ok("getaccount", {json::value(fresh)}).at("balance").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(error_of("getaccount", json::array{"tly1notanaddress"}), -5);
  EXPECT_EQ(error_of("getaccount", json::array{"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}), -5);

  const json::value tip_state = ok("getstatehash");
  EXPECT_EQ(tip_state.at("height").as_int64(), height());
  EXPECT_EQ(tip_state.at("stateroot"), ok("getblockchaininfo").at("stateroot"));
  const json::value genesis_state = ok("getstatehash", {0});
  EXPECT_EQ(genesis_state.at("blockhash"), ok("getblockhash", {0}));
  EXPECT_NE(genesis_state.at("stateroot"), tip_state.at("stateroot"));  // coinbases changed the state
  EXPECT_EQ(error_of("getstatehash", json::array{1000000}), -8);
}

TEST_F(DaemonRpc, TransactionLifecycle) {
  const crypto::SecretKey sender = devnet_secret(2);
  const crypto::Address to = address_from(devnet_keys()[6].address);
  const ledger::Transaction tx = ledger::make_transfer(sender, kChainId, to, 12345, 1000, 0);
  const std::string hex = crypto::to_hex(tx.encode());
  const std::string txid = crypto::to_hex(tx.txid());

  const json::value test = ok("testmempoolaccept", {json::value(json::array{json::value(hex)})});
  EXPECT_TRUE(test.at(0).at("allowed").as_bool()) << json::serialize(test);
  EXPECT_EQ(test.at(0).at("txid").as_string(), txid);
  EXPECT_EQ(ok("sendrawtransaction", {json::value(hex)}), json::value(txid));
  EXPECT_EQ(ok("sendrawtransaction", {json::value(hex)}), json::value(txid));  // again: not an error

  EXPECT_EQ(ok("getrawmempool"), (json::array{json::value(txid)}));
  const json::value verbose_pool = ok("getrawmempool", {true});
  EXPECT_EQ(verbose_pool.at(txid).at("amount").to_number<std::uint64_t>(), 12345u);
  EXPECT_EQ(verbose_pool.at(txid).at("queue").as_string(), "ready");
  const json::value pool_info = ok("getmempoolinfo");
  EXPECT_EQ(pool_info.at("size").as_int64(), 1);
  EXPECT_EQ(pool_info.at("minfee").to_number<std::uint64_t>(), 1000u);
  const json::value pending = ok("getrawtransaction", {json::value(txid), true});
  EXPECT_TRUE(pending.at("in_mempool").as_bool());
  EXPECT_EQ(ok("getaccount", {json::value(devnet_keys()[2].address)}).at("pending_nonce").as_int64(), 1);

  const json::value mined = ok("generate", {1});
  const std::string block = str(mined.at(0));
  EXPECT_EQ(ok("getrawmempool"), json::array());
  const json::value confirmed = ok("getrawtransaction", {json::value(txid), true});
  EXPECT_EQ(confirmed.at("confirmations").as_int64(), 1);
  EXPECT_EQ(confirmed.at("blockhash").as_string(), block);
  EXPECT_EQ(confirmed.at("hex").as_string(), hex);
  EXPECT_EQ(ok("getrawtransaction", {json::value(txid)}), json::value(hex));
  EXPECT_EQ(ok("getrawtransaction", {json::value(txid), false, json::value(block)}), json::value(hex));
  const json::value history = ok("getaddresshistory", {json::value(devnet_keys()[6].address)});
  ASSERT_EQ(history.as_array().size(), 1u);
  EXPECT_EQ(history.at(0).at("txid").as_string(), txid);
  EXPECT_EQ(history.at(0).at("blockhash").as_string(), block);
  EXPECT_EQ(ok("getaccount", {json::value(devnet_keys()[6].address)}).at("balance").to_number<std::uint64_t>(),
            100000000000000u + 12345u);

  // Errors.
  EXPECT_EQ(error_of("sendrawtransaction", json::array{hex}), -27);  // already in the chain
  EXPECT_EQ(error_of("sendrawtransaction", json::array{"zz"}), -22);
  EXPECT_EQ(error_of("sendrawtransaction", json::array{hex.substr(0, 286)}), -22);
  ledger::Transaction forged = ledger::make_transfer(sender, kChainId, to, 1, 1000, 1);
  forged.amount = 2;  // the signature no longer matches
  EXPECT_EQ(error_of("sendrawtransaction", json::array{crypto::to_hex(forged.encode())}), -26);
  const auto low_fee = ledger::make_transfer(sender, kChainId, to, 1, 1, 1);
  auto refused = client_->call("sendrawtransaction", json::array{json::value(crypto::to_hex(low_fee.encode()))});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, -26);
  const auto wrong_chain = ledger::make_transfer(sender, 7077, to, 1, 1000, 1);
  EXPECT_EQ(error_of("sendrawtransaction", json::array{crypto::to_hex(wrong_chain.encode())}), -26);
  const json::value rejected = ok("testmempoolaccept", {json::value(json::array{json::value(crypto::to_hex(forged.encode()))})});
  EXPECT_FALSE(rejected.at(0).at("allowed").as_bool());
  EXPECT_EQ(error_of("testmempoolaccept", json::array{json::value(json::array{})}), -8);
  EXPECT_EQ(error_of("testmempoolaccept", json::array{"notanarray"}), -32602);
  EXPECT_EQ(error_of("getrawtransaction", json::array{kUnknownHash}), -5);
  EXPECT_EQ(error_of("getrawtransaction", json::array{txid, false, kUnknownHash}), -5);
  EXPECT_EQ(error_of("getrawmempool", json::array{"verbose"}), -32602);
  EXPECT_EQ(error_of("getmempoolinfo", json::array{1}), -32602);
  EXPECT_EQ(error_of("getaddresshistory", json::array{"nope"}), -5);
  EXPECT_EQ(error_of("getaddresshistory", json::array{devnet_keys()[6].address, 0, 0}), -8);
}

// A block like the tip's with another nonce: same content, another hash, valid proof of work.
ledger::Block sibling_of(const ledger::Block& block) {
  ledger::Block b = block;
  const auto limit = ledger::target_from_compact(0x207fffff).value();
  do {
    ++b.header.nonce;
  } while (!ledger::check_proof_of_work(b.hash(), b.header.bits, limit));
  return b;
}

TEST_F(DaemonRpc, MiningGenerateSetminingSubmitblockAndChainTips) {
  const json::value info = ok("getmininginfo");
  EXPECT_EQ(info.at("chain").as_string(), "tally-e2e");
  EXPECT_FALSE(info.at("mining").as_bool());
  EXPECT_EQ(info.at("miner_address").as_string(), devnet_keys()[0].address);

  const std::int64_t before = height();
  const std::string payee = devnet_keys()[7].address;
  const json::value hashes = ok("generate", {2, json::value(payee)});
  ASSERT_EQ(hashes.as_array().size(), 2u);
  EXPECT_EQ(height(), before + 2);
  EXPECT_EQ(ok("getbestblockhash"), hashes.at(1));
  const json::value coinbase = ok("getblock", {hashes.at(1), 2}).at("tx").at(0);
  EXPECT_EQ(coinbase.at("to").as_string(), payee);
  EXPECT_EQ(error_of("generate", json::array{0}), -8);
  EXPECT_EQ(error_of("generate", json::array{1, "tly1bad"}), -5);
  EXPECT_EQ(error_of("generate", json::array{"two"}), -32602);

  // Background mining on and off.
  const json::value on = ok("setmining", {true, 1});
  EXPECT_TRUE(on.at("mining").as_bool());
  EXPECT_TRUE(wait_until([&] { return height() >= before + 3; }, 10s));
  const json::value off = ok("setmining", {false});
  EXPECT_FALSE(off.at("mining").as_bool());
  EXPECT_FALSE(ok("getmininginfo").at("mining").as_bool());
  EXPECT_EQ(error_of("setmining", json::array{}), -32602);
  EXPECT_EQ(error_of("setmining", json::array{true, 1, "tly1bad"}), -5);
  EXPECT_EQ(error_of("setmining", json::array{true, 100000}), -8);

  // submitblock: the tip again, a valid sibling of the tip (a fork), and broken blocks.
  // Let a block the miner may still be submitting land first.
  std::this_thread::sleep_for(200ms);
  const json::value tip_hash = ok("getbestblockhash");
  const std::string tip_hex = str(ok("getblock", {tip_hash, 0}));
  const ledger::Block tip = ledger::Block::decode(crypto::from_hex(tip_hex).value(), 100).value();
  EXPECT_EQ(ok("submitblock", {json::value(tip_hex)}), json::value("duplicate"));

  const ledger::Block fork = sibling_of(tip);
  EXPECT_EQ(ok("submitblock", {json::value(crypto::to_hex(fork.encode()))}), json::value(nullptr));
  EXPECT_EQ(ok("getbestblockhash"), tip_hash);  // equal work: the first seen stays active
  const json::value tips = ok("getchaintips");
  std::set<std::string> statuses;
  for (const auto& t : tips.as_array()) {
    if (t.at("hash") == tip_hash) {
      EXPECT_EQ(t.at("status").as_string(), "active");
    }
    if (t.at("hash").as_string() == crypto::to_hex(fork.hash())) {
      EXPECT_EQ(t.at("branchlen").as_int64(), 1);
      statuses.insert(str(t.at("status")));
    }
  }
  // Never connected, so never fully validated: "valid-headers" as Bitcoin Core names it.
  EXPECT_EQ(statuses, (std::set<std::string>{"valid-headers"})) << json::serialize(tips);

  ledger::Block orphan = tip;
  orphan.header.prev_hash = crypto::fixed_from_hex<crypto::Hash256>(kUnknownHash).value();
  orphan = sibling_of(orphan);
  EXPECT_EQ(ok("submitblock", {json::value(crypto::to_hex(orphan.encode()))}), json::value("inconclusive"));

  ledger::Block bad_root = tip;
  bad_root.txs[0].amount += 1;  // the header's Merkle root no longer matches
  bad_root.header.nonce = fork.header.nonce;  // grind past the fork's nonce: a new hash
  bad_root = sibling_of(bad_root);
  const json::value verdict = ok("submitblock", {json::value(crypto::to_hex(bad_root.encode()))});
  ASSERT_TRUE(verdict.is_string()) << json::serialize(verdict);
  EXPECT_NE(verdict.as_string(), "duplicate");
  EXPECT_NE(verdict.as_string(), "inconclusive");
  EXPECT_EQ(error_of("submitblock", json::array{"00"}), -22);
  EXPECT_EQ(error_of("submitblock", json::array{}), -32602);
  EXPECT_EQ(error_of("getchaintips", json::array{1}), -32602);
  EXPECT_EQ(error_of("getmininginfo", json::array{1}), -32602);
}

TEST_F(DaemonRpc, NetworkBansAndPartitions) {
  const json::value net = ok("getnetworkinfo");
  EXPECT_EQ(net.at("chain_id").to_number<std::uint32_t>(), kChainId);
  EXPECT_EQ(net.at("listen_port").to_number<std::uint16_t>(), suite_.node->p2p_port());
  EXPECT_EQ(error_of("getnetworkinfo", json::array{1}), -32602);
  EXPECT_EQ(error_of("getpeerinfo", json::array{1}), -32602);

  // Bans.
  EXPECT_EQ(ok("setban", {"10.1.2.3", "add", 3600}), json::value(nullptr));
  const json::value banned = ok("listbanned");
  ASSERT_EQ(banned.as_array().size(), 1u);
  EXPECT_EQ(banned.at(0).at("address").as_string(), "10.1.2.3");
  EXPECT_GT(banned.at(0).at("time_remaining").as_int64(), 3500);
  EXPECT_EQ(error_of("setban", json::array{"10.1.2.3", "add"}), -23);
  EXPECT_EQ(ok("setban", {"10.1.2.3", "remove"}), json::value(nullptr));
  EXPECT_EQ(ok("listbanned"), json::array());
  EXPECT_EQ(error_of("setban", json::array{"10.1.2.3", "remove"}), -30);
  EXPECT_EQ(error_of("setban", json::array{"not an ip", "add"}), -30);
  EXPECT_EQ(error_of("setban", json::array{"10.1.2.3", "ban"}), -8);
  EXPECT_EQ(error_of("listbanned", json::array{1}), -32602);

  // Partitions (devnet).
  const json::value blocked = ok("setnetworkpartition", {json::value(json::array{"127.0.0.1:1"})});
  EXPECT_EQ(blocked.at("blocked"), (json::array{"127.0.0.1:1"}));
  EXPECT_EQ(ok("setnetworkpartition", {json::value(json::array{})}).at("blocked"), json::array());
  EXPECT_EQ(error_of("setnetworkpartition", json::array{json::value(json::array{"nope"})}), -8);
  EXPECT_EQ(error_of("setnetworkpartition", json::array{json::value(json::array{1})}), -32602);

  // addnode: add, remove (only what was added), onetry.
  const std::string nowhere = "127.0.0.1:" + std::to_string(free_port());
  EXPECT_EQ(ok("addnode", {json::value(nowhere), "add"}), json::value(nullptr));
  EXPECT_EQ(ok("addnode", {json::value(nowhere), "remove"}), json::value(nullptr));
  EXPECT_EQ(error_of("addnode", json::array{nowhere, "remove"}), -1);
  EXPECT_EQ(ok("addnode", {json::value(nowhere), "onetry"}), json::value(nullptr));
  EXPECT_EQ(error_of("addnode", json::array{nowhere, "sideways"}), -8);
  EXPECT_EQ(error_of("addnode", json::array{"nohost", "add"}), -8);
}

TEST_F(DaemonRpc, PeersSyncAndDisconnect) {
  // A second node that connects to the first syncs its chain over P2P.
  TallydProcess b(suite_.dir->path() / "b",
                  {"--chain", suite_.spec.string(), "--connect", "127.0.0.1:" + std::to_string(suite_.node->p2p_port())});
  ASSERT_TRUE(b.start()) << read_text(b.stderr_path());
  auto b_client = b.client();
  const json::value a_tip = ok("getbestblockhash");
  EXPECT_TRUE(wait_until(
      [&] {
        auto t = b_client.call("getbestblockhash", json::array());
        return t && *t == a_tip;
      },
      15s))
      << read_text(b.stderr_path());
  json::value peers;
  ASSERT_TRUE(wait_until(
      [&] {
        peers = ok("getpeerinfo");
        return peers.as_array().size() == 1 && peers.at(0).at("established").as_bool();
      },
      10s));
  EXPECT_TRUE(peers.at(0).at("inbound").as_bool());
  EXPECT_EQ(ok("getnetworkinfo").at("connections_in").as_int64(), 1);

  EXPECT_EQ(error_of("disconnectnode", json::array{nullptr, 999999}), -29);
  EXPECT_EQ(error_of("disconnectnode", json::array{}), -32602);
  EXPECT_EQ(ok("disconnectnode", {nullptr, peers.at(0).at("id")}), json::value(nullptr));
  EXPECT_TRUE(wait_until([&] { return ok("getpeerinfo").as_array().empty(); }, 5s));
  EXPECT_EQ(b.stop(), 0);
}

TEST_F(DaemonRpc, ControlHelpAndUptime) {
  const std::string all = str(ok("help"));
  for (const char* m : {"getblockchaininfo", "getblockcount", "getbestblockhash", "getblockhash", "getblock",
                        "getblockheader", "getchaintips", "getrawtransaction", "sendrawtransaction", "getaccount",
                        "getmempoolinfo", "getrawmempool", "getpeerinfo", "getnetworkinfo", "addnode",
                        "disconnectnode", "setban", "listbanned", "getmininginfo", "generate", "setmining",
                        "getstatehash", "stop", "uptime", "submitblock", "testmempoolaccept"})
    EXPECT_NE(all.find(m), std::string::npos) << m;
  EXPECT_NE(str(ok("help", {"getblock"})).find("getblock blockhash [verbosity]"), std::string::npos);
  EXPECT_EQ(error_of("help", json::array{"nosuchmethod"}), -32601);
  EXPECT_GE(ok("uptime").as_int64(), 0);
  EXPECT_EQ(error_of("uptime", json::array{1}), -32602);
  EXPECT_EQ(error_of("stop", json::array{1}), -32602);  // and the node keeps running
  EXPECT_GE(height(), 0);
  // (A successful "stop" is in daemon_config_test.cpp: it ends the node.)
}

}  // namespace
}  // namespace tally::e2e
