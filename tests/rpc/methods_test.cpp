// Every RPC method through handle_body() against TestNode: a real chain on RocksDB, a real
// mempool and a real NetCore (no peers).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crypto/hex.h"
#include "rpc/methods.h"
#include "json_test_util.h"
#include "method_call_fixture.h"
#include "test_node.h"

namespace tally::rpc {
namespace {

namespace json = boost::json;
using testing::ChainHarness;
using testing::test_address;
using testing::test_key;
using testing::TestNode;

class MethodsTest : public testing::MethodCallFixture {
 protected:
  std::string txid_of(const std::string& hex) {
    auto bytes = crypto::from_hex(hex);
    return crypto::to_hex(ledger::Transaction::decode(crypto::ByteSpan(*bytes))->txid());
  }
};

TEST_F(MethodsTest, ChainBasicsAtGenesis) {
  EXPECT_EQ(result("getblockcount"), 0);
  EXPECT_EQ(result("getbestblockhash"), genesis_hex());
  EXPECT_EQ(result("getblockhash", "[0]"), genesis_hex());
  EXPECT_EQ(error_code("getblockhash", "[1]"), kInvalidParameter);
  EXPECT_EQ(error_code("getblockhash", "[-1]"), kInvalidParameter);
  EXPECT_EQ(error_code("getblockhash", "[\"0\"]"), kInvalidParams);
  auto info = result("getblockchaininfo");
  EXPECT_EQ(info.at("chain"), "tally-test");
  EXPECT_EQ(info.at("blocks"), 0);
  EXPECT_EQ(info.at("headers"), 0);
  EXPECT_EQ(info.at("bestblockhash"), genesis_hex());
  EXPECT_EQ(info.at("genesis"), genesis_hex());
  EXPECT_EQ(info.at("txindex"), true);
  EXPECT_EQ(info.at("chainwork").as_string().size(), 64u);
}

TEST_F(MethodsTest, GenerateAndReadBlocks) {
  auto hashes = result("generate", "[3, " + q(addr(5)) + "]");
  ASSERT_EQ(hashes.as_array().size(), 3u);
  EXPECT_EQ(result("getblockcount"), 3);
  const std::string h1(hashes.as_array()[0].as_string());
  const std::string h3(hashes.as_array()[2].as_string());
  EXPECT_EQ(result("getbestblockhash"), h3);
  EXPECT_EQ(result("getblockhash", "[1]"), h1);

  // verbosity 0: the canonical encoding.
  auto hex = result("getblock", "[" + q(h1) + ", 0]");
  auto bytes = crypto::from_hex(std::string(hex.as_string()));
  ASSERT_TRUE(bytes);
  auto block = ledger::Block::decode(crypto::ByteSpan(*bytes), 1000);
  ASSERT_TRUE(block);
  EXPECT_EQ(crypto::to_hex(block->hash()), h1);
  EXPECT_EQ(result("getblock", "[" + q(h1) + ", false]"), hex) << "false means verbosity 0";

  // verbosity 1 (default): header fields and txids.
  auto b1 = result("getblock", "[" + q(h1) + "]");
  EXPECT_EQ(b1.at("hash"), h1);
  EXPECT_EQ(b1.at("height"), 1);
  EXPECT_EQ(b1.at("confirmations"), 3);
  EXPECT_EQ(b1.at("previousblockhash"), genesis_hex());
  EXPECT_EQ(b1.at("nextblockhash"), result("getblockhash", "[2]"));
  EXPECT_EQ(b1.at("status"), "active");
  EXPECT_EQ(b1.at("ntx"), 1);
  EXPECT_EQ(b1.at("tx").as_array()[0], crypto::to_hex(block->txs[0].txid()));
  EXPECT_EQ(b1.at("merkleroot"), crypto::to_hex(block->header.tx_root));
  EXPECT_EQ(b1.at("size"), bytes->size());

  // verbosity 2: transaction objects.
  auto b2 = result("getblock", "{\"blockhash\":" + q(h1) + ",\"verbosity\":2}");
  const auto& cb = b2.at("tx").as_array()[0];
  EXPECT_EQ(cb.at("coinbase"), true);
  EXPECT_EQ(cb.at("to"), addr(5));
  EXPECT_EQ(cb.at("amount"), node.spec().subsidy);
  EXPECT_TRUE(cb.at("from").is_null());
  EXPECT_EQ(error_code("getblock", "[" + q(h1) + ", 3]"), kInvalidParameter);

  // Headers.
  auto hdr = result("getblockheader", "[" + q(h3) + "]");
  EXPECT_EQ(hdr.at("height"), 3);
  EXPECT_EQ(hdr.at("confirmations"), 1);
  EXPECT_FALSE(hdr.as_object().contains("nextblockhash"));
  auto hdr_hex = result("getblockheader", "[" + q(h3) + ", false]");
  EXPECT_EQ(hdr_hex.as_string().size(), 2 * ledger::BlockHeader::kSize);

  // Errors.
  const std::string unknown(64, 'a');
  EXPECT_EQ(error_code("getblock", "[" + q(unknown) + "]"), kInvalidAddressOrKey);
  EXPECT_EQ(error_code("getblock", "[\"xyz\"]"), kInvalidParameter);
  EXPECT_EQ(error_code("getblockheader", "[" + q(unknown) + "]"), kInvalidAddressOrKey);
  EXPECT_EQ(error_code("getblock", "[]"), kInvalidParams);
}

TEST_F(MethodsTest, SendTransactionThroughMempoolIntoABlock) {
  const std::string hex = tx_hex(1, 2, 1000, 50, 0);
  const std::string txid = txid_of(hex);
  EXPECT_EQ(result("sendrawtransaction", "[" + q(hex) + "]"), txid);
  EXPECT_EQ(result("sendrawtransaction", "[" + q(hex) + "]"), txid) << "resubmitting a pooled tx is not an error";

  auto pool = result("getrawmempool");
  ASSERT_EQ(pool.as_array().size(), 1u);
  EXPECT_EQ(pool.as_array()[0], txid);
  auto verbose_pool = result("getrawmempool", "[true]");
  EXPECT_EQ(verbose_pool.at(txid).at("fee"), 50);
  EXPECT_EQ(verbose_pool.at(txid).at("from"), addr(1));
  EXPECT_EQ(verbose_pool.at(txid).at("queue"), "ready");
  EXPECT_EQ(result("getmempoolinfo").at("size"), 1);
  EXPECT_EQ(result("getmempoolinfo").at("bytes"), ledger::Transaction::kSize);

  auto raw = result("getrawtransaction", "[" + q(txid) + ", true]");
  EXPECT_EQ(raw.at("in_mempool"), true);
  EXPECT_EQ(raw.at("hex"), hex);
  EXPECT_EQ(raw.at("amount"), 1000);
  EXPECT_EQ(result("getrawtransaction", "[" + q(txid) + "]"), hex);

  auto acct = result("getaccount", "[" + q(addr(1)) + "]");
  EXPECT_EQ(acct.at("balance"), ledger::testing::kInitialBalance);
  EXPECT_EQ(acct.at("nonce"), 0);
  EXPECT_EQ(acct.at("pending_nonce"), 1);

  const auto mined = result("generate", "[1, " + q(addr(7)) + "]");
  EXPECT_EQ(result("getmempoolinfo").at("size"), 0);
  EXPECT_EQ(error_code("sendrawtransaction", "[" + q(hex) + "]"), kVerifyAlreadyInChain);

  raw = result("getrawtransaction", "[" + q(txid) + ", 1]");
  EXPECT_EQ(raw.at("in_mempool"), false);
  EXPECT_EQ(raw.at("blockhash"), mined.as_array()[0]);
  EXPECT_EQ(raw.at("confirmations"), 1);
  EXPECT_EQ(raw.at("height"), 1);
  auto in_block = result("getrawtransaction", "[" + q(txid) + ", true, " + q(std::string(mined.as_array()[0].as_string())) + "]");
  EXPECT_EQ(in_block.at("txid"), txid);

  acct = result("getaccount", "[" + q(addr(1)) + "]");
  EXPECT_EQ(acct.at("balance"), ledger::testing::kInitialBalance - 1050);
  EXPECT_EQ(acct.at("nonce"), 1);
  EXPECT_EQ(acct.at("pending_nonce"), 1);
  EXPECT_EQ(result("getaccount", "[" + q(addr(2)) + "]").at("balance"), ledger::testing::kInitialBalance + 1000);

  auto history = result("getaddresshistory", "[" + q(addr(2)) + "]");
  ASSERT_EQ(history.as_array().size(), 1u);
  EXPECT_EQ(history.as_array()[0].at("txid"), txid);
  EXPECT_EQ(history.as_array()[0].at("height"), 1);
  EXPECT_EQ(result("getaddresshistory", "[" + q(addr(2)) + ", 2]").as_array().size(), 0u);
  EXPECT_EQ(error_code("getaddresshistory", "[" + q(addr(2)) + ", 0, 0]"), kInvalidParameter);

  EXPECT_EQ(error_code("getrawtransaction", "[" + q(std::string(64, '0')) + "]"), kInvalidAddressOrKey);
}

TEST_F(MethodsTest, ABatchOfSendsAnswersEachInOrderAndFillsThePoolInThatOrder) {
  // 40 transfers of one sender (nonces 0..39) with, among them, a bad hex, a bad signature,
  // a resubmission and a nonce gap; every answer in its place, the pool as if sent one by one.
  std::vector<std::string> hexes;
  for (std::uint64_t n = 0; n < 40; ++n) hexes.push_back(tx_hex(1, 2, 1000 + n, 50, n));
  auto bad_sig = node.harness().transfer(3, 2, 1000, 50, 0);
  bad_sig.amount = 999;
  std::string body = "[";
  auto add = [&](const std::string& method, const std::string& params, int id) {
    if (body.size() > 1) body += ",";
    body += R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method + R"(","params":)" + params + "}";
  };
  int id = 0;
  for (std::size_t i = 0; i < 20; ++i) add("sendrawtransaction", "[" + q(hexes[i]) + "]", id++);  // 0..19
  add("sendrawtransaction", "[\"zz\"]", id++);                                                    // 20
  add("sendrawtransaction", "[" + q(crypto::to_hex(bad_sig.encode())) + "]", id++);                // 21
  add("sendrawtransaction", "[" + q(hexes[3]) + "]", id++);                                        // 22
  add("getmempoolinfo", "[]", id++);                                                               // 23
  add("sendrawtransaction", "[" + q(tx_hex(1, 2, 5, 50, 45)) + "]", id++);                          // 24: future
  for (std::size_t i = 20; i < 40; ++i) add("sendrawtransaction", "[" + q(hexes[i]) + "]", id++);  // 25..44
  body += "]";

  RequestContext ctx;
  ctx.node = &node;
  const json::value r = json::parse(handle_body(body, table, ctx));
  const json::array& a = r.as_array();
  ASSERT_EQ(a.size(), 45u);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].at("id"), static_cast<std::int64_t>(i));
  for (std::size_t i = 0; i < 20; ++i) EXPECT_EQ(a[i].at("result"), txid_of(hexes[i])) << i;
  EXPECT_EQ(a[20].at("error").at("code"), kDeserializationError);
  EXPECT_EQ(a[21].at("error").at("data").at("reason"), "bad-signature");
  EXPECT_EQ(a[22].at("result"), txid_of(hexes[3])) << "resubmitting a pooled tx is not an error";
  EXPECT_EQ(a[23].at("result").at("size"), 20) << "a call between sends sees the sends before it, and only those";
  EXPECT_TRUE(a[24].as_object().contains("result"));
  for (std::size_t i = 25; i < 45; ++i) EXPECT_EQ(a[i].at("result"), txid_of(hexes[i - 5])) << i;

  const json::value info = result("getmempoolinfo");
  EXPECT_EQ(info.at("size"), 41);
  EXPECT_EQ(info.at("ready"), 40);
  EXPECT_EQ(info.at("future"), 1);
  EXPECT_EQ(result("getaccount", "[" + q(addr(1)) + "]").at("pending_nonce"), 40);
}

TEST_F(MethodsTest, RejectedTransactionsCarryTheReasonCode) {
  auto reject = [&](const std::string& hex, const std::string& reason) {
    json::value r = call("sendrawtransaction", "[" + q(hex) + "]");
    ASSERT_TRUE(r.as_object().contains("error")) << json::serialize(r);
    EXPECT_EQ(r.at("error").at("code"), kVerifyRejected);
    EXPECT_EQ(r.at("error").at("data").at("reason"), reason);
    EXPECT_TRUE(r.at("error").at("message").as_string().starts_with(reason)) << r.at("error").at("message");
  };
  reject(tx_hex(1, 2, 1000, 1, 0), "fee-too-low");
  reject(tx_hex(1, 2, ledger::testing::kInitialBalance, 50, 0), "insufficient-funds");
  auto bad_sig = node.harness().transfer(1, 2, 1000, 50, 0);
  bad_sig.amount = 999;  // the signature no longer matches
  reject(crypto::to_hex(bad_sig.encode()), "bad-signature");
  auto other_chain = bad_sig;
  other_chain = ledger::make_transfer(test_key(1), 12345, test_address(2), 10, 50, 0);
  reject(crypto::to_hex(other_chain.encode()), "wrong-chain-id");

  EXPECT_EQ(error_code("sendrawtransaction", "[\"zz\"]"), kDeserializationError);
  EXPECT_EQ(error_code("sendrawtransaction", "[\"00\"]"), kDeserializationError);
  EXPECT_EQ(error_code("sendrawtransaction", "[" + q(tx_hex(1, 2, 1, 50, 0) + "00") + "]"), kDeserializationError);
  EXPECT_EQ(error_code("sendrawtransaction", "[5]"), kInvalidParams);
  EXPECT_EQ(result("getmempoolinfo").at("size"), 0);
}

TEST_F(MethodsTest, TestMempoolAcceptDoesNotAdd) {
  const std::string a = tx_hex(3, 4, 100, 20, 0);
  const std::string b = tx_hex(3, 4, 100, 20, 1);  // continues a: accepted as a package
  const std::string gap = tx_hex(3, 4, 100, 20, 5);
  const std::string bad = tx_hex(3, 4, 100, 1, 2);
  auto r = result("testmempoolaccept", "[[" + q(a) + "," + q(b) + "," + q(gap) + "," + q(bad) + "]]");
  const auto& arr = r.as_array();
  ASSERT_EQ(arr.size(), 4u);
  EXPECT_EQ(arr[0].at("allowed"), true);
  EXPECT_EQ(arr[0].at("txid"), txid_of(a));
  EXPECT_EQ(arr[0].at("queue"), "ready");
  EXPECT_EQ(arr[1].at("allowed"), true);
  EXPECT_EQ(arr[1].at("queue"), "ready");
  EXPECT_EQ(arr[2].at("allowed"), true);
  EXPECT_EQ(arr[2].at("queue"), "future");
  EXPECT_EQ(arr[3].at("allowed"), false);
  EXPECT_EQ(arr[3].at("reject-reason"), "fee-too-low");
  EXPECT_EQ(result("getmempoolinfo").at("size"), 0) << "nothing was added";

  result("sendrawtransaction", "[" + q(a) + "]");
  r = result("testmempoolaccept", "[[" + q(a) + "]]");
  EXPECT_EQ(r.as_array()[0].at("allowed"), false);
  EXPECT_EQ(r.as_array()[0].at("reject-reason"), "already-known");
  EXPECT_EQ(error_code("testmempoolaccept", "[[]]"), kInvalidParameter);
  EXPECT_EQ(error_code("testmempoolaccept", "[[\"nothex\"]]"), kDeserializationError);
  EXPECT_EQ(error_code("testmempoolaccept", "[" + q(a) + "]"), kInvalidParams);
}

TEST_F(MethodsTest, AddressErrorsNameTheProblem) {
  EXPECT_EQ(error_code("getaccount", "[\"tlt1notanaddress\"]"), kInvalidAddressOrKey);
  const std::string devnet_addr = crypto::encode_address(test_address(1), "tly");
  EXPECT_EQ(error_code("getaccount", "[" + q(devnet_addr) + "]"), kInvalidAddressOrKey);
  EXPECT_NE(error_message("getaccount", "[" + q(devnet_addr) + "]").find(crypto::to_string(crypto::AddressError::kWrongPrefix)),
            std::string::npos);
  std::string typo = addr(1);
  typo.back() = typo.back() == 'q' ? 'p' : 'q';
  EXPECT_NE(error_message("getaccount", "[" + q(typo) + "]").find(crypto::to_string(crypto::AddressError::kBadChecksum)),
            std::string::npos);
  EXPECT_EQ(error_code("generate", "[1, \"nope\"]"), kInvalidAddressOrKey);
}

TEST_F(MethodsTest, ChainTipsShowForksHeadersAndInvalidBlocks) {
  const auto a1 = result("generate", "[1, " + q(addr(0)) + "]").as_array()[0];
  // A competing branch built by another chain of the same spec.
  ChainHarness other;
  const ledger::Block b1 = other.make_block({}, 4);
  other.add(b1);
  const ledger::Block b2 = other.make_block({}, 4);
  other.add(b2);
  const ledger::Block b3 = other.make_block({}, 4);

  EXPECT_TRUE(result("submitblock", "[" + q(crypto::to_hex(b1.encode())) + "]").is_null());
  EXPECT_EQ(result("getbestblockhash"), a1) << "equal work: the first seen stays active";
  EXPECT_EQ(result("submitblock", "[" + q(crypto::to_hex(b1.encode())) + "]"), "duplicate");
  auto tips = result("getchaintips").as_array();
  ASSERT_EQ(tips.size(), 2u);
  for (const auto& t : tips) {
    if (t.at("hash") == a1) {
      EXPECT_EQ(t.at("status"), "active");
      EXPECT_EQ(t.at("branchlen"), 0);
    } else {
      EXPECT_EQ(t.at("hash"), crypto::to_hex(b1.hash()));
      EXPECT_EQ(t.at("status"), "valid-headers") << "stored but never connected";
      EXPECT_EQ(t.at("branchlen"), 1);
    }
  }

  EXPECT_TRUE(result("submitblock", "[" + q(crypto::to_hex(b2.encode())) + "]").is_null());
  EXPECT_EQ(result("getbestblockhash"), crypto::to_hex(b2.hash())) << "more work: reorg";
  // b3's header only.
  node.core([&](ledger::Chain& chain, ledger::Mempool&, p2p::NetCore&, std::int64_t now_ms) {
    auto r = chain.accept_header(b3.header, now_ms / 1000);
    EXPECT_TRUE(r) << r.error().message;
    return 0;
  });
  // An invalid child of b2: wrong state commitment, found on connect.
  ledger::Block bad = node.core([&](ledger::Chain& chain, ledger::Mempool&, p2p::NetCore&, std::int64_t) {
    auto b = ledger::assemble_block(chain, {}, test_address(6), chain.tip().header.time + 10);
    EXPECT_TRUE(b);
    return *b;
  });
  bad.header.state_root.bytes[0] ^= 1;
  ledger::testing::mine(bad, node.spec());
  EXPECT_EQ(result("submitblock", "[" + q(crypto::to_hex(bad.encode())) + "]"), "bad-stateroot");

  tips = result("getchaintips").as_array();
  std::map<std::string, std::pair<std::string, std::int64_t>> by_hash;
  for (const auto& t : tips)
    by_hash[std::string(t.at("hash").as_string())] = {std::string(t.at("status").as_string()), t.at("branchlen").as_int64()};
  EXPECT_EQ(by_hash.size(), 4u);
  EXPECT_EQ(by_hash[crypto::to_hex(b2.hash())], (std::pair<std::string, std::int64_t>{"active", 0}));
  EXPECT_EQ(by_hash[std::string(a1.as_string())], (std::pair<std::string, std::int64_t>{"valid-fork", 1}));
  EXPECT_EQ(by_hash[crypto::to_hex(b3.hash())], (std::pair<std::string, std::int64_t>{"headers-only", 1}));
  EXPECT_EQ(by_hash[crypto::to_hex(bad.hash())], (std::pair<std::string, std::int64_t>{"invalid", 1}));
  EXPECT_EQ(tips[0].at("height"), 3) << "highest first";

  EXPECT_EQ(result("getblockheader", "[" + q(crypto::to_hex(b3.hash())) + "]").at("status"), "headers-only");
  EXPECT_EQ(error_code("getblock", "[" + q(crypto::to_hex(b3.hash())) + "]"), kMiscError) << "no data for a header";
  EXPECT_EQ(result("getblock", "[" + q(std::string(a1.as_string())) + "]").at("confirmations"), -1);
}

TEST_F(MethodsTest, SubmitBlockReasons) {
  EXPECT_EQ(error_code("submitblock", "[\"00\"]"), kDeserializationError);
  ChainHarness other;
  other.add(other.make_block({}, 1));
  const ledger::Block orphan = other.make_block({}, 1);  // its parent is unknown here
  EXPECT_EQ(result("submitblock", "[" + q(crypto::to_hex(orphan.encode())) + "]"), "inconclusive");
  ledger::Block bad_pow = node.core([&](ledger::Chain& chain, ledger::Mempool&, p2p::NetCore&, std::int64_t) {
    return *ledger::assemble_block(chain, {}, test_address(6), chain.tip().header.time + 10);
  });
  while (ledger::check_proof_of_work(bad_pow.header.hash(), bad_pow.header.bits, node.spec().pow_limit()))
    ++bad_pow.header.nonce;
  EXPECT_EQ(result("submitblock", "[" + q(crypto::to_hex(bad_pow.encode())) + "]"), "high-hash");
}

TEST_F(MethodsTest, StateHash) {
  const std::string genesis_root = crypto::to_hex(node.spec().genesis_block().header.state_root);
  EXPECT_EQ(result("getstatehash").at("stateroot"), json::value(genesis_root));
  result("sendrawtransaction", "[" + q(tx_hex(1, 2, 1000, 50, 0)) + "]");
  result("generate", "[2, " + q(addr(0)) + "]");
  auto s0 = result("getstatehash", "[0]");
  EXPECT_EQ(s0.at("stateroot"), json::value(genesis_root));
  EXPECT_EQ(s0.at("blockhash"), genesis_hex());
  auto tip = result("getstatehash");
  EXPECT_EQ(tip.at("height"), 2);
  EXPECT_NE(tip.at("stateroot"), json::value(genesis_root));
  EXPECT_EQ(tip.at("stateroot"), result("getblockchaininfo").at("stateroot"));
  EXPECT_EQ(result("getstatehash", "{\"height\":2}"), tip);
  EXPECT_EQ(error_code("getstatehash", "[3]"), kInvalidParameter);
}

TEST_F(MethodsTest, NetworkMethods) {
  EXPECT_EQ(result("getpeerinfo").as_array().size(), 0u);
  auto info = result("getnetworkinfo");
  EXPECT_EQ(info.at("connections"), 0);
  EXPECT_EQ(info.at("protocolversion"), p2p::kProtocolVersion);

  EXPECT_TRUE(result("setban", "[\"1.2.3.4\", \"add\"]").is_null());
  EXPECT_EQ(error_code("setban", "[\"1.2.3.4\", \"add\"]"), kNodeAlreadyAdded);
  EXPECT_TRUE(result("setban", "[\"127.0.0.1:18444\", \"add\", 60]").is_null());
  EXPECT_TRUE(result("setban", "[\"::1\", \"add\"]").is_null());
  EXPECT_TRUE(result("setban", "[\"5.6.7.8:9\", \"add\"]").is_null()) << "a routable IP is banned without its port";
  auto bans = result("listbanned").as_array();
  std::set<std::string> keys;
  for (const auto& b : bans) keys.insert(std::string(b.at("address").as_string()));
  EXPECT_EQ(keys, (std::set<std::string>{"1.2.3.4", "127.0.0.1:18444", "[::1]", "5.6.7.8"}));
  for (const auto& b : bans)
    if (b.at("address") == "127.0.0.1:18444") {
      EXPECT_EQ(b.at("time_remaining"), 60);
    }
  EXPECT_TRUE(result("setban", "[\"1.2.3.4\", \"remove\"]").is_null());
  EXPECT_EQ(error_code("setban", "[\"1.2.3.4\", \"remove\"]"), kInvalidIpOrSubnet);
  EXPECT_EQ(error_code("setban", "[\"not an ip\", \"add\"]"), kInvalidIpOrSubnet);
  EXPECT_EQ(error_code("setban", "[\"1.2.3.4\", \"ban\"]"), kInvalidParameter);
  EXPECT_EQ(error_code("setban", "[\"9.9.9.9\", \"add\", 10, true]"), kInvalidParameter) << "absolute time in the past";
  EXPECT_EQ(result("listbanned").as_array().size(), 3u);

  EXPECT_TRUE(result("addnode", "[\"127.0.0.1:18444\", \"add\"]").is_null());
  EXPECT_TRUE(result("addnode", "[\"127.0.0.1:18444\", \"remove\"]").is_null());
  EXPECT_EQ(error_code("addnode", "[\"127.0.0.1:18444\", \"remove\"]"), kMiscError) << "not added any more";
  EXPECT_TRUE(result("addnode", "[\"127.0.0.1:18444\", \"onetry\"]").is_null());
  EXPECT_EQ(error_code("addnode", "[\"127.0.0.1\", \"add\"]"), kInvalidParameter) << "port required";
  EXPECT_EQ(error_code("addnode", "[\"127.0.0.1:1\", \"connect\"]"), kInvalidParameter);

  EXPECT_EQ(error_code("disconnectnode", "[\"127.0.0.1:18444\"]"), kNodeNotConnected);
  EXPECT_EQ(error_code("disconnectnode", "{\"nodeid\": 99}"), kNodeNotConnected);
  EXPECT_EQ(error_code("disconnectnode", "[]"), kInvalidParams);
  EXPECT_EQ(error_code("disconnectnode", "[\"127.0.0.1:1\", 3]"), kInvalidParams);

  auto blocked = result("setnetworkpartition", "[[\"127.0.0.1:18002\", \"[::1]:18003\", \"127.0.0.1:18002\"]]");
  EXPECT_EQ(blocked.at("blocked").as_array().size(), 2u);
  EXPECT_EQ(result("setnetworkpartition", "[[]]").at("blocked").as_array().size(), 0u);
  EXPECT_EQ(error_code("setnetworkpartition", "[[\"127.0.0.1\"]]"), kInvalidParameter);
  EXPECT_EQ(error_code("setnetworkpartition", "[[5]]"), kInvalidParams);
  EXPECT_EQ(error_code("setnetworkpartition", "[\"127.0.0.1:1\"]"), kInvalidParams);
}

TEST_F(MethodsTest, MiningMethods) {
  auto info = result("getmininginfo");
  EXPECT_EQ(info.at("blocks"), 0);
  EXPECT_EQ(info.at("mining"), false);
  EXPECT_EQ(info.at("chain"), "tally-test");
  EXPECT_EQ(error_code("setmining", "[true]"), kMiscError) << "no miner address yet";
  EXPECT_EQ(error_code("generate", "[1]"), kInvalidParameter) << "no address and no miner address";
  auto status = result("setmining", "[true, 3, " + q(addr(3)) + "]");
  EXPECT_EQ(status.at("mining"), true);
  EXPECT_EQ(status.at("threads"), 3);
  EXPECT_EQ(status.at("miner_address"), addr(3));
  EXPECT_EQ(result("generate", "[2]").as_array().size(), 2u) << "pays the miner address";
  EXPECT_EQ(result("getaccount", "[" + q(addr(3)) + "]").at("balance"),
            ledger::testing::kInitialBalance + 2 * node.spec().subsidy);
  EXPECT_EQ(error_code("generate", "[0]"), kInvalidParameter);
  EXPECT_EQ(error_code("generate", "[1.5]"), kInvalidParams);
  EXPECT_EQ(error_code("setmining", "[\"yes\"]"), kInvalidParams);
  EXPECT_EQ(result("setmining", "[false]").at("mining"), false);
  info = result("getmininginfo");
  EXPECT_EQ(info.at("blocks"), 2);
  EXPECT_GT(info.at("networkhashps").as_double(), 0);
}

TEST_F(MethodsTest, ControlMethods) {
  const std::string help(result("help").as_string());
  for (const auto& [name, m] : table.methods) EXPECT_NE(help.find(m.usage()), std::string::npos) << name;
  EXPECT_EQ(std::string(result("help", "[\"getblock\"]").as_string()).substr(0, 27), "getblock blockhash [verbosi");
  EXPECT_EQ(error_code("help", "[\"nope\"]"), kMethodNotFound);
  EXPECT_EQ(result("uptime"), 42);
  EXPECT_FALSE(node.stop_requested);
  EXPECT_EQ(result("stop"), "Tally server stopping");
  EXPECT_TRUE(node.stop_requested);
}

TEST_F(MethodsTest, ShuttingDownNodeAnswersMinus9) {
  node.shutting_down = true;
  EXPECT_EQ(error_code("getblockchaininfo"), kClientNotConnected);
  EXPECT_EQ(error_code("sendrawtransaction", "[" + q(tx_hex(1, 2, 1, 50, 0)) + "]"), kClientNotConnected);
  EXPECT_EQ(result("getblockcount"), 0) << "the tip snapshot needs no core";
}

TEST(MethodsWithoutIndexes, HistoryAndLookupsExplainWhy) {
  TestNode node(ledger::ChainOptions{.tx_index = false, .address_index = false});
  const MethodTable table = node_methods();
  RequestContext ctx;
  ctx.node = &node;
  const std::string a = crypto::encode_address(test_address(1), node.spec().address_prefix);
  auto r = json::parse(handle_body(R"({"jsonrpc":"2.0","id":1,"method":"getaddresshistory","params":[")" + a + "\"]}",
                                   table, ctx));
  EXPECT_EQ(r.at("error").at("code"), kMiscError);
  EXPECT_NE(r.at("error").at("message").as_string().find("address index disabled"), std::string::npos);
  r = json::parse(handle_body(R"({"jsonrpc":"2.0","id":1,"method":"getrawtransaction","params":[")" +
                                  std::string(64, '1') + "\"]}",
                              table, ctx));
  EXPECT_EQ(r.at("error").at("code"), kInvalidAddressOrKey);
  EXPECT_NE(r.at("error").at("message").as_string().find("index is disabled"), std::string::npos);
}

// docs/RPC.md documents every method of the table under its own heading.
TEST(RpcDocs, EveryMethodIsDocumented) {
  const char* src = std::getenv("TALLY_SOURCE_DIR");
  if (src == nullptr) GTEST_SKIP() << "TALLY_SOURCE_DIR not set";
  std::ifstream in(std::string(src) + "/docs/RPC.md");
  ASSERT_TRUE(in) << "docs/RPC.md missing";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (const auto& [name, m] : node_methods().methods)
    EXPECT_NE(doc.find("\n### " + name + "\n"), std::string::npos) << name << " has no section in docs/RPC.md";
}

}  // namespace
}  // namespace tally::rpc
