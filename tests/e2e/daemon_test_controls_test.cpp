// The test-control RPCs against a real tallyd: waits that end on a new block and on the
// node's stop; a block built by an external miner from getblocktemplate (the nonce ground
// here) accepted by submitblock; invalidateblock/reconsiderblock moving the tip down and back,
// and the mark surviving a restart.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <future>

#include "crypto/hex.h"
#include "ledger/block.h"
#include "ledger/chain_spec.h"
#include "ledger/pow.h"
#include "tests/e2e/process.h"

namespace tally::e2e {
namespace {

namespace json = boost::json;

std::int64_t height(TallydProcess& n) { return block_count(n); }

TEST(DaemonTestControls, WaitsEndOnANewBlockAndOnStop) {
  TempDir dir;
  const fs::path spec = write_fast_chain_spec(dir / "spec.json");
  TallydProcess a(dir / "a", {"--chain", spec.string()});
  ASSERT_TRUE(a.start()) << read_text(a.stderr_path());
  auto waiter = std::async(std::launch::async, [&] {
    return a.client(60s).call("waitforblockheight", json::array{2, 60000});
  });
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(a.client().call("generate", json::array{2}));
  auto got = waiter.get();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->at("height").to_number<std::int64_t>(), 2);

  // A wait in progress when the node stops returns (an answer or an error), and the node exits.
  auto stuck = std::async(std::launch::async, [&] { return a.client(60s).call("waitfornewblock", json::array{600000}); });
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(a.client().call("stop", json::array()));
  EXPECT_EQ(stuck.wait_for(15s), std::future_status::ready) << "a waiting call held the node";
  EXPECT_EQ(a.process().wait(20s), 0);
}

TEST(DaemonTestControls, AnExternalMinerBuildsFromTheTemplateAndSubmits) {
  TempDir dir;
  const fs::path spec_file = write_fast_chain_spec(dir / "spec.json");
  auto spec = ledger::load_chain_spec_file(spec_file.string());
  ASSERT_TRUE(spec) << spec.error();
  TallydProcess a(dir / "a", {"--chain", spec_file.string()});
  ASSERT_TRUE(a.start()) << read_text(a.stderr_path());
  auto t = a.client().call("getblocktemplate", json::array());
  ASSERT_TRUE(t) << t.error().message;
  const json::object& o = t->as_object();
  auto header_bytes = crypto::from_hex(o.at("header").as_string());
  ASSERT_TRUE(header_bytes);
  auto header = ledger::BlockHeader::decode(*header_bytes);
  ASSERT_TRUE(header);
  while (!ledger::check_proof_of_work(header->hash(), header->bits, spec->pow_limit())) ++header->nonce;
  std::string block = crypto::to_hex(header->encode());
  const std::size_t count = 1 + o.at("transactions").as_array().size();
  ASSERT_LT(count, 0xfdu);
  char count_hex[3];
  std::snprintf(count_hex, sizeof count_hex, "%02zx", count);
  block += count_hex;
  block += std::string(o.at("coinbasetxn").at("data").as_string());
  for (const auto& tx : o.at("transactions").as_array()) block += std::string(tx.at("data").as_string());
  auto submitted = a.client().call("submitblock", json::array{json::value(block)});
  ASSERT_TRUE(submitted) << submitted.error().message;
  EXPECT_EQ(height(a), 1);
  auto best = a.client().call("getbestblockhash", json::array());
  ASSERT_TRUE(best);
  EXPECT_EQ(best->as_string(), crypto::to_hex(header->hash()));
}

TEST(DaemonTestControls, InvalidateAndReconsiderMoveTheTipAndTheMarkSurvivesARestart) {
  TempDir dir;
  const fs::path spec = write_fast_chain_spec(dir / "spec.json");
  auto a = std::make_unique<TallydProcess>(dir / "a", std::vector<std::string>{"--chain", spec.string()});
  ASSERT_TRUE(a->start()) << read_text(a->stderr_path());
  auto mined = a->client().call("generate", json::array{3});
  ASSERT_TRUE(mined);
  const json::value second = mined->as_array().at(1);
  ASSERT_TRUE(a->client().call("invalidateblock", json::array{second}));
  EXPECT_EQ(height(*a), 1);
  auto unknown = a->client().call("invalidateblock", json::array{json::value(std::string(64, '0'))});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, -5);

  ASSERT_EQ(a->stop(), 0);
  a = std::make_unique<TallydProcess>(dir / "a", std::vector<std::string>{"--chain", spec.string()});
  ASSERT_TRUE(a->start()) << read_text(a->stderr_path());
  EXPECT_EQ(height(*a), 1) << "the invalid mark is kept in the block index";
  ASSERT_TRUE(a->client().call("reconsiderblock", json::array{second}));
  EXPECT_EQ(height(*a), 3);
}

}  // namespace
}  // namespace tally::e2e
