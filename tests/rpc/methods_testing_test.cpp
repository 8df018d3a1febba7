// The test-control and explorer methods against TestNode (a real chain, mempool and NetCore):
// invalidateblock, reconsiderblock, setmocktime, waitfornewblock, waitforblockheight,
// getblocktemplate with submitblock, getmempoolentry, decoderawtransaction, getnettotals,
// getconnectioncount, getblockstats; and their errors, with Bitcoin Core's codes.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <future>
#include <thread>

#include "crypto/hex.h"
#include "ledger/pow.h"
#include "rpc/methods.h"
#include "json_test_util.h"
#include "method_call_fixture.h"
#include "test_node.h"

namespace tally::rpc {
namespace {

namespace json = boost::json;
using testing::test_address;
using testing::TestNode;

class TestingMethods : public testing::MethodCallFixture {
 protected:
  explicit TestingMethods(ledger::ChainSpec spec = ledger::testing::test_spec()) : MethodCallFixture(std::move(spec)) {}

  std::string send(int from, int to, ledger::Amount amount, ledger::Amount fee, std::uint64_t nonce) {
    return std::string(result("sendrawtransaction", "[" + q(tx_hex(from, to, amount, fee, nonce)) + "]").as_string());
  }
  std::vector<std::string> generate(int n) {
    std::vector<std::string> out;
    const json::value hashes = result("generate", "[" + std::to_string(n) + ", " + q(addr(0)) + "]");
    for (const auto& h : hashes.as_array()) out.emplace_back(h.as_string());
    return out;
  }
};

TEST_F(TestingMethods, InvalidateBlockReorganizesAndReconsiderBlockComesBack) {
  const auto h1 = generate(1).front();
  const std::string txid = send(1, 2, 500, 10, 0);
  const auto rest = generate(2);  // h2 carries the transfer
  ASSERT_EQ(result("getrawmempool").as_array().size(), 0u);

  EXPECT_TRUE(result("invalidateblock", "[" + q(rest[0]) + "]").is_null());
  EXPECT_EQ(result("getblockcount"), 1);
  EXPECT_EQ(result("getbestblockhash"), h1);
  EXPECT_EQ(result("getblockheader", "[" + q(rest[1]) + "]").at("status"), "invalid");
  EXPECT_EQ(result("getrawmempool").as_array().size(), 1u) << "the disconnected transfer is back in the pool";
  EXPECT_EQ(result("getrawmempool").as_array()[0], txid);
  EXPECT_EQ(result("getaccount", "[" + q(addr(2)) + "]").at("balance"), ledger::testing::kInitialBalance);

  EXPECT_TRUE(result("reconsiderblock", "[" + q(rest[0]) + "]").is_null());
  EXPECT_EQ(result("getblockcount"), 3);
  EXPECT_EQ(result("getbestblockhash"), rest[1]);
  EXPECT_EQ(result("getrawmempool").as_array().size(), 0u);
  EXPECT_EQ(result("getaccount", "[" + q(addr(2)) + "]").at("balance"), ledger::testing::kInitialBalance + 500);
}

TEST_F(TestingMethods, InvalidateAndReconsiderErrors) {
  const std::string unknown(64, 'a');
  EXPECT_EQ(error("invalidateblock", "[" + q(unknown) + "]"), "-5 Block not found");
  EXPECT_EQ(error("reconsiderblock", "[" + q(unknown) + "]"), "-5 Block not found");
  EXPECT_EQ(error_code("invalidateblock", "[" + q(genesis_hex()) + "]"), kInvalidParameter);
  EXPECT_EQ(error_code("invalidateblock", "[\"abc\"]"), kInvalidParameter);
  EXPECT_EQ(error_code("invalidateblock", "[]"), kInvalidParams);
  EXPECT_EQ(error_code("invalidateblock", "[5]"), kInvalidParams);
  EXPECT_EQ(error_code("reconsiderblock", "[\"" + std::string(64, 'x') + "\"]"), kInvalidParameter);
  EXPECT_EQ(error_code("reconsiderblock", "[" + q(genesis_hex()) + ", 1]"), kInvalidParams) << "too many";
}

TEST_F(TestingMethods, MockTimeMovesTheClockOfTemplatesAndHeaderChecks) {
  const std::int64_t genesis = ledger::testing::kGenesisTime;
  // Far ahead: templates carry it.
  EXPECT_TRUE(result("setmocktime", "[" + std::to_string(genesis + 100'000) + "]").is_null());
  EXPECT_EQ(result("getblocktemplate", "[" + q(addr(3)) + "]").at("curtime"), genesis + 100'000);
  // Before the blocks generate makes: they are now "too new" for this node.
  EXPECT_TRUE(result("setmocktime", "[" + std::to_string(genesis - 1000) + "]").is_null());
  const std::string refused = error("generate", "[1, " + q(addr(0)) + "]");
  EXPECT_NE(refused.find("too far in the future"), std::string::npos) << refused;
  // 0: the node's own clock again.
  EXPECT_TRUE(result("setmocktime", "[0]").is_null());
  EXPECT_EQ(result("generate", "[1, " + q(addr(0)) + "]").as_array().size(), 1u);

  EXPECT_EQ(error_code("setmocktime", "[]"), kInvalidParams);
  EXPECT_EQ(error_code("setmocktime", "[\"now\"]"), kInvalidParams);
  EXPECT_EQ(error_code("setmocktime", "[-1]"), kInvalidParameter);
  EXPECT_EQ(error_code("setmocktime", "[12]"), kInvalidParameter) << "before 2000";
  EXPECT_EQ(error_code("setmocktime", "[99999999999]"), kInvalidParameter) << "past 32-bit header times";
}

class MockTimeOnOtherChains : public TestingMethods {
 protected:
  static ledger::ChainSpec mainnet_like() {
    ledger::ChainSpec s = ledger::testing::test_spec();
    s.name = "tally-main";
    return s;
  }
  MockTimeOnOtherChains() : TestingMethods(mainnet_like()) {}
};

TEST_F(MockTimeOnOtherChains, IsRefused) {
  EXPECT_EQ(error_code("setmocktime", "[1700000000]"), kMiscError);
  EXPECT_EQ(error_code("setmocktime", "[0]"), kMiscError);
}

TEST_F(TestingMethods, WaitForNewBlockReturnsTheTipAtTimeout) {
  const json::value r = result("waitfornewblock", "[20]");
  EXPECT_EQ(r.at("hash"), genesis_hex());
  EXPECT_EQ(r.at("height"), 0);
  const json::value h = result("waitforblockheight", "[5, 20]");
  EXPECT_EQ(h.at("height"), 0) << "timed out below the height";
  EXPECT_EQ(result("waitforblockheight", "[0]").at("height"), 0) << "already there: no wait";
  EXPECT_EQ(error_code("waitfornewblock", "[-1]"), kInvalidParameter);
  EXPECT_EQ(error_code("waitfornewblock", "[\"1\"]"), kInvalidParams);
  EXPECT_EQ(error_code("waitforblockheight", "[]"), kInvalidParams);
  EXPECT_EQ(error_code("waitforblockheight", "[-1]"), kInvalidParameter);
  EXPECT_EQ(error_code("waitforblockheight", "[1, -5]"), kInvalidParameter);
}

TEST_F(TestingMethods, WaitsEndWhenBlocksArrive) {
  // Waits without a timeout (the 10-minute cap): only the blocks end them.
  // A wait may start before or after a block: blocks come until it has ended.
  auto new_block = std::async(std::launch::async, [&] { return result("waitfornewblock"); });
  auto height_two = std::async(std::launch::async, [&] { return result("waitforblockheight", "[2]"); });
  auto mine_until = [&](auto& done) {
    std::string last;
    while (done.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready) last = generate(1).front();
    return last;
  };
  mine_until(new_block);
  const json::value r = new_block.get();
  EXPECT_GE(r.at("height").as_int64(), 1);
  mine_until(height_two);
  const json::value h = height_two.get();
  EXPECT_GE(h.at("height").as_int64(), 2);
  EXPECT_EQ(result("getblockhash", "[" + std::to_string(h.at("height").as_int64()) + "]"), h.at("hash"));
}

TEST_F(TestingMethods, WaitsEndWhenTheNodeStops) {
  auto waiting = std::async(std::launch::async, [&] { return result("waitforblockheight", "[100]"); });
  node.request_stop();
  EXPECT_EQ(waiting.get().at("height"), 0);
}

TEST_F(TestingMethods, BlockFromTemplateIsAcceptedBySubmitBlock) {
  send(1, 2, 700, 25, 0);
  send(3, 4, 800, 40, 0);
  const json::value t = result("getblocktemplate", "[" + q(addr(5)) + "]");
  EXPECT_EQ(t.at("height"), 1);
  EXPECT_EQ(t.at("previousblockhash"), genesis_hex());
  EXPECT_EQ(t.at("coinbasevalue"), node.spec().subsidy + 65);
  ASSERT_EQ(t.at("transactions").as_array().size(), 2u);
  EXPECT_EQ(t.at("transactions").as_array()[0].at("fee"), 40) << "highest fee first";

  // An external miner's work: the block from the template's parts, then the nonce.
  ledger::Block block;
  auto tx_of = [](const json::value& v) {
    auto bytes = crypto::from_hex(std::string_view(v.at("data").as_string()));
    return *ledger::Transaction::decode(crypto::ByteSpan(*bytes));
  };
  block.txs.push_back(tx_of(t.at("coinbasetxn")));
  for (const auto& tx : t.at("transactions").as_array()) block.txs.push_back(tx_of(tx));
  ledger::BlockHeader& h = block.header;
  h.version = static_cast<std::uint32_t>(t.at("version").as_int64());
  h.height = static_cast<std::uint32_t>(t.at("height").as_int64());
  h.prev_hash = *crypto::fixed_from_hex<ledger::BlockHash>(std::string_view(t.at("previousblockhash").as_string()));
  h.tx_root = *crypto::fixed_from_hex<ledger::Hash256>(std::string_view(t.at("merkleroot").as_string()));
  h.state_root = *crypto::fixed_from_hex<ledger::Hash256>(std::string_view(t.at("stateroot").as_string()));
  h.time = static_cast<std::uint32_t>(t.at("curtime").as_int64());
  h.bits = static_cast<std::uint32_t>(std::stoul(std::string(t.at("bits").as_string()), nullptr, 16));
  EXPECT_EQ(block.compute_tx_root(), h.tx_root);
  const auto header_bytes = h.encode();
  EXPECT_EQ(t.at("header"), crypto::to_hex(crypto::ByteSpan(header_bytes.data(), header_bytes.size())));
  const std::string target(t.at("target").as_string());
  // Hashes and targets are both 64 hex digits, big-endian as numbers: compare as strings.
  while (crypto::to_hex(h.hash()) > target) ++h.nonce;

  EXPECT_TRUE(result("submitblock", "[" + q(crypto::to_hex(block.encode())) + "]").is_null());
  EXPECT_EQ(result("getblockcount"), 1);
  EXPECT_EQ(result("getbestblockhash"), crypto::to_hex(block.hash()));
  EXPECT_EQ(result("getaccount", "[" + q(addr(5)) + "]").at("balance"),
            ledger::testing::kInitialBalance + node.spec().subsidy + 65);
  EXPECT_EQ(result("getrawmempool").as_array().size(), 0u);

  // The next template builds on it; default address: the node's miner address.
  EXPECT_EQ(error_code("getblocktemplate"), kInvalidParameter) << "TestNode has no miner address yet";
  EXPECT_TRUE(result("setmining", "[false, 0, " + q(addr(6)) + "]").is_object());
  EXPECT_EQ(result("getblocktemplate").at("previousblockhash"), crypto::to_hex(block.hash()));
  EXPECT_EQ(error_code("getblocktemplate", "[\"tly1nope\"]"), kInvalidAddressOrKey);
  EXPECT_EQ(error_code("getblocktemplate", "[7]"), kInvalidParams);
}

TEST_F(TestingMethods, MempoolEntryWithAncestorsAndDescendants) {
  send(1, 2, 100, 11, 0);
  const std::string middle = send(1, 2, 100, 12, 1);
  send(1, 2, 100, 13, 2);
  send(3, 2, 100, 50, 0);  // another sender: no relative
  const json::value e = result("getmempoolentry", "[" + q(middle) + "]");
  EXPECT_EQ(e.at("txid"), middle);
  EXPECT_EQ(e.at("fee"), 12);
  EXPECT_EQ(e.at("size"), 144);
  EXPECT_EQ(e.at("nonce"), 1);
  EXPECT_EQ(e.at("from"), addr(1));
  EXPECT_EQ(e.at("queue"), "ready");
  EXPECT_TRUE(e.at("time").is_int64());
  EXPECT_EQ(e.at("ancestorcount"), 2);
  EXPECT_EQ(e.at("ancestorfees"), 23);
  EXPECT_EQ(e.at("ancestorsize"), 288);
  EXPECT_EQ(e.at("descendantcount"), 2);
  EXPECT_EQ(e.at("descendantfees"), 25);
  EXPECT_EQ(e.at("descendantsize"), 288);

  EXPECT_EQ(error("getmempoolentry", "[" + q(std::string(64, '0')) + "]"), "-5 Transaction not in mempool");
  EXPECT_EQ(error_code("getmempoolentry", "[\"12\"]"), kInvalidParameter);
  EXPECT_EQ(error_code("getmempoolentry", "[]"), kInvalidParams);
  EXPECT_EQ(error_code("getmempoolentry", "[true]"), kInvalidParams);
}

TEST_F(TestingMethods, DecodeRawTransaction) {
  const std::string hex = tx_hex(1, 2, 300, 10, 4);
  const json::value d = result("decoderawtransaction", "[" + q(hex) + "]");
  EXPECT_EQ(d.at("from"), addr(1));
  EXPECT_EQ(d.at("to"), addr(2));
  EXPECT_EQ(d.at("amount"), 300);
  EXPECT_EQ(d.at("nonce"), 4);
  EXPECT_EQ(d.at("size"), 144);
  EXPECT_EQ(result("getrawmempool").as_array().size(), 0u) << "decoding submits nothing";

  EXPECT_EQ(error_code("decoderawtransaction", "[\"zz\"]"), kDeserializationError);
  EXPECT_EQ(error("decoderawtransaction", "[\"00\"]").rfind("-22 TX decode failed", 0), 0u);
  EXPECT_EQ(error_code("decoderawtransaction", "[" + q(hex + "00") + "]"), kDeserializationError);
  EXPECT_EQ(error_code("decoderawtransaction", "[]"), kInvalidParams);
  EXPECT_EQ(error_code("decoderawtransaction", "[1]"), kInvalidParams);
}

TEST_F(TestingMethods, NetTotalsAndConnectionCount) {
  const json::value t = result("getnettotals");
  EXPECT_EQ(t.at("totalbytesrecv"), 0);
  EXPECT_EQ(t.at("totalbytessent"), 0);
  EXPECT_GT(t.at("timemillis").as_int64(), 0);
  EXPECT_EQ(result("getconnectioncount"), 0);
  EXPECT_EQ(error_code("getconnectioncount", "[1]"), kInvalidParams);
}

TEST_F(TestingMethods, BlockStatsByHeightAndHash) {
  send(1, 2, 100, 10, 0);
  send(3, 2, 200, 30, 0);
  send(4, 2, 300, 20, 0);
  const auto hash = generate(1).front();
  const json::value s = result("getblockstats", "[1]");
  EXPECT_EQ(s.at("height"), 1);
  EXPECT_EQ(s.at("blockhash"), hash);
  EXPECT_EQ(s.at("txs"), 4);
  EXPECT_EQ(s.at("totalfee"), 60);
  EXPECT_EQ(s.at("minfee"), 10);
  EXPECT_EQ(s.at("maxfee"), 30);
  EXPECT_EQ(s.at("avgfee"), 20);
  EXPECT_EQ(s.at("medianfee"), 20);
  EXPECT_EQ(s.at("total_size"), 3 * 144);
  EXPECT_EQ(s.at("total_out"), 600);
  EXPECT_EQ(s.at("subsidy"), node.spec().subsidy);
  EXPECT_TRUE(s.at("time").is_int64());
  EXPECT_TRUE(s.at("mediantime").is_int64());
  EXPECT_EQ(result("getblockstats", "[" + q(hash) + "]"), s);

  const json::value some = result("getblockstats", "[1, [\"minfee\", \"txs\"]]");
  EXPECT_EQ(some, (json::object{{"minfee", 10}, {"txs", 4}}));
  EXPECT_EQ(result("getblockstats", "[0]").at("txs"), 0) << "genesis has no coinbase";
  EXPECT_EQ(result("getblockstats", "[0]").at("avgfee"), 0);

  EXPECT_EQ(error("getblockstats", "[1, [\"nope\"]]"), "-8 Invalid selected statistic 'nope'");
  EXPECT_EQ(error("getblockstats", "[2]"), "-8 Target block height 2 after current tip 1");
  EXPECT_EQ(error("getblockstats", "[-1]"), "-8 Target block height -1 is negative");
  EXPECT_EQ(error("getblockstats", "[" + q(std::string(64, 'b')) + "]"), "-5 Block not found");
  EXPECT_EQ(error_code("getblockstats", "[\"xyz\"]"), kInvalidParameter);
  EXPECT_EQ(error_code("getblockstats", "[true]"), kInvalidParams);
  EXPECT_EQ(error_code("getblockstats", "[1.5]"), kInvalidParams);
  EXPECT_EQ(error_code("getblockstats", "[]"), kInvalidParams);
  EXPECT_EQ(error_code("getblockstats", "[1, \"minfee\"]"), kInvalidParams);
  EXPECT_EQ(error_code("getblockstats", "[1, [3]]"), kInvalidParams);
}

}  // namespace
}  // namespace tally::rpc
