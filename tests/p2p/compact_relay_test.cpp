// Compact block relay between protocol cores over real TCP on 127.0.0.1 (docs/PROTOCOL.md,
// "Compact blocks"): blocks rebuilt from full, partial and empty mempools, a node with
// compact relay off, the fallback to the full block on a short-id collision, and the
// misbehaviour rules: malformed compact messages and out-of-range requests cost the ban
// score, a compact block with a valid header but an invalid body does not (BIP152), a full
// block with the same body does. The target keeps serving its honest peer throughout.
#include <gtest/gtest.h>

#include "ledger/block_assembler.h"
#include "p2p/compact_block.h"
#include "tcp_node.h"

namespace tally::p2p {
namespace {

using namespace std::chrono_literals;
using testing::RawPeer;
using testing::TcpNet;

constexpr int kTxs = 40;

// kTxs signed transfers from the funded test keys (5 senders, 8 nonces each).
std::vector<ledger::Transaction> transfers(const ledger::ChainSpec& spec) {
  std::vector<ledger::Transaction> out;
  for (int i = 0; i < kTxs; ++i)
    out.push_back(ledger::make_transfer(ledger::testing::test_key(i % 5), spec.chain_id,
                                        ledger::testing::test_address(7), 100 + i, 100,
                                        static_cast<std::uint64_t>(i / 5)));
  return out;
}

// Gives node i the transactions: relayed (through its core, so its peers learn them) or
// quietly (straight into its mempool, so only it has them).
void give(TcpNet& net, std::size_t i, const std::vector<ledger::Transaction>& txs, bool relay) {
  net.on_io([&] {
    auto& n = net.node(i);
    for (const auto& tx : txs) {
      if (relay) {
        EXPECT_TRUE(n.core->submit_transaction(tx, testing::wall_ms()).has_value());
      } else {
        EXPECT_TRUE(n.mempool.accept(tx, n.harness.chain->state(), testing::wall_ms()).has_value());
      }
    }
    n.transport->pump();
    return 0;
  });
}

NetCore::CompactStats stats(TcpNet& net, std::size_t i) {
  return net.on_io([&] { return net.node(i).core->compact_stats(); });
}
std::uint64_t received(TcpNet& net, std::size_t i, MessageType t) {
  return net.on_io([&] { return net.node(i).core->traffic()[static_cast<std::size_t>(t)].received; });
}

// Node 1 hears of node 0's block; `relayed` of the kTxs reached it before the block.
void relay_one_block(std::size_t relayed) {
  TcpNet net(2);
  net.connect(1, 0);
  net.mine(0);
  ASSERT_TRUE(net.wait_until([&] { return net.all_at(1); }, 10s));
  const auto txs = transfers(net.spec());
  give(net, 0, {txs.begin(), txs.begin() + static_cast<std::ptrdiff_t>(relayed)}, true);
  ASSERT_TRUE(net.wait_until(
      [&] { return net.on_io([&] { return net.node(1).mempool.size(); }) == relayed; }, 10s));
  give(net, 0, {txs.begin() + static_cast<std::ptrdiff_t>(relayed), txs.end()}, false);
  // Block 1 may have been fetched whole by the initial sync; block 2 is news to node 1.
  const auto full_before = received(net, 1, MessageType::kBlock);
  const auto sent_before = stats(net, 0).blocks_sent;
  const auto s0 = stats(net, 1);
  const auto hash = net.mine(0);
  ASSERT_TRUE(net.wait_until([&] { return net.all_at(2); }, 10s)) << "node 1 at " << net.height(1);
  EXPECT_EQ(net.on_io([&] { return net.node(1).harness.chain->tip().hash; }), hash);
  EXPECT_EQ(net.on_io([&] { return net.node(1).harness.chain->state_hash(); }),
            net.on_io([&] { return net.node(0).harness.chain->state_hash(); }));
  const auto s = stats(net, 1);
  EXPECT_EQ(s.blocks_received - s0.blocks_received, 1u);
  EXPECT_EQ(s.fallbacks, 0u);
  EXPECT_EQ(s.txs_from_pool - s0.txs_from_pool, relayed);
  EXPECT_EQ(s.txs_requested - s0.txs_requested, kTxs - relayed);
  EXPECT_EQ(s.round_trips - s0.round_trips, relayed == kTxs ? 0u : 1u);
  EXPECT_EQ(s.reconstructed - s0.reconstructed, relayed == kTxs ? 1u : 0u);
  EXPECT_EQ(received(net, 1, MessageType::kBlock), full_before) << "no full block crossed the link";
  EXPECT_EQ(stats(net, 0).blocks_sent, sent_before + 1);
}

TEST(CompactRelay, FullMempoolRebuildsWithoutARoundTrip) { relay_one_block(kTxs); }
TEST(CompactRelay, PartialMempoolAsksForWhatIsMissing) { relay_one_block(kTxs / 2); }
TEST(CompactRelay, EmptyMempoolAsksForEveryTransaction) { relay_one_block(0); }

TEST(CompactRelay, WireBytesAreAFractionOfTheBlockWhenMempoolsHoldItsTransactions) {
  TcpNet net(2);
  net.connect(1, 0);
  net.mine(0);
  ASSERT_TRUE(net.wait_until([&] { return net.all_at(1); }, 10s));
  give(net, 0, transfers(net.spec()), true);
  ASSERT_TRUE(net.wait_until([&] { return net.on_io([&] { return net.node(1).mempool.size(); }) == kTxs; }, 10s));
  const auto before = received(net, 1, MessageType::kCmpctBlock);
  net.mine(0);
  ASSERT_TRUE(net.wait_until([&] { return net.all_at(2); }, 10s));
  const std::size_t block_bytes =
      net.on_io([&] { return (*net.node(1).harness.chain->read_block(net.node(1).harness.chain->tip().hash))->encoded_size(); });
  const std::uint64_t wire = received(net, 1, MessageType::kCmpctBlock) - before;
  // 41 slots: header 116 + nonce 8 + 40 short ids of 6 + the coinbase, framed.
  EXPECT_EQ(wire, kFrameHeaderSize + 116 + 8 + 1 + 40 * 6 + 1 + 1 + 144);
  EXPECT_LT(wire * 100, block_bytes * 15) << wire << " of " << block_bytes;
}

TEST(CompactRelay, ANodeWithCompactRelayOffGetsAndSendsWholeBlocks) {
  TcpNet net(3, [](std::size_t i, NetConfig& c) { c.compact_relay = i != 1; });
  net.connect(1, 0);
  net.connect(2, 1);
  // One block at a time, each on a parent every node has: node 1 then pushes each new block
  // to node 2 (which asked for compact blocks), and must push it whole. (Mined in a burst,
  // the blocks could reach node 2 by headers and getdata, and the push path go untested.)
  for (std::uint32_t h = 1; h <= 3; ++h) {
    net.mine(0);
    ASSERT_TRUE(net.wait_until([&] { return net.all_at(h); }, 20s)) << h;
  }
  EXPECT_GT(received(net, 1, MessageType::kBlock), 0u);
  EXPECT_EQ(received(net, 1, MessageType::kCmpctBlock), 0u);
  EXPECT_EQ(received(net, 2, MessageType::kCmpctBlock), 0u);
  EXPECT_EQ(stats(net, 0).blocks_sent, 0u);
}

// --- a raw peer that speaks compact blocks -------------------------------------------------

class CompactAdversary : public ::testing::Test {
 protected:
  CompactAdversary() : net(2) {
    net.connect(1, 0);  // node 1 is the target's honest peer
    net.mine(0);
    EXPECT_TRUE(net.wait_until([&] { return net.all_at(1); }, 10s));
  }
  std::uint32_t magic() const { return net.spec().network_magic; }
  std::size_t bans() {
    return net.on_io([&] { return net.node(0).core->bans().size(); });
  }
  void expect_honest_peer_served() {
    const std::uint32_t h = net.height(0) + 1;
    net.mine(0);
    EXPECT_TRUE(net.wait_until([&] { return net.height(1) == h; }, 10s)) << "honest peer stuck at " << net.height(1);
  }
  // A block on the target's tip holding two transfers; bad_signature flips a bit of the
  // second one's signature (the merkle root and proof of work still match).
  ledger::Block next_block(bool bad_signature) {
    return net.on_io([&] {
      auto& n = net.node(0);
      auto txs = transfers(net.spec());
      txs.resize(2);
      auto block = ledger::assemble_block(*n.harness.chain, txs, ledger::testing::test_address(6),
                                          testing::wall_ms() / 1000);
      EXPECT_TRUE(block.has_value());
      if (bad_signature) {
        block->txs[2].signature.bytes[3] ^= 1;
        block->header.tx_root = block->compute_tx_root();
      }
      ledger::testing::mine(*block, net.spec());
      return *block;
    });
  }
  TcpNet net;
};

TEST_F(CompactAdversary, ShortIdCollisionFallsBackToTheFullBlock) {
  RawPeer peer(net.node(0).port);
  peer.handshake(net.spec(), 5551);
  const ledger::Block block = next_block(false);
  CmpctBlockMsg m = make_compact_block(block, 42);
  m.short_ids[1] = m.short_ids[0];  // two slots, one short id
  peer.send(m, magic());
  auto ask = peer.wait_for(
      magic(), [](const Message& x) { return std::holds_alternative<GetDataMsg>(x); }, 5s);
  ASSERT_TRUE(ask.has_value()) << "the target did not ask for the full block";
  const auto& items = std::get<GetDataMsg>(*ask).items;
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].hash, block.hash());
  peer.send(BlockMsg{block}, magic());
  EXPECT_TRUE(net.wait_until([&] { return net.height(0) == 2; }, 5s));
  EXPECT_EQ(stats(net, 0).fallbacks, 1u);
  EXPECT_EQ(bans(), 0u);
  expect_honest_peer_served();
}

TEST_F(CompactAdversary, MalformedCompactBlockIsBanned) {
  RawPeer peer(net.node(0).port);
  peer.handshake(net.spec(), 5552);
  Bytes frame = encode_frame(magic(), make_compact_block(next_block(false), 1));
  // The prefilled coinbase's index (the byte after the prefilled count) points past the block.
  const std::size_t prefilled_index = kFrameHeaderSize + 116 + 8 + 1 + 2 * 6 + 1;
  frame[prefilled_index] = 9;
  const Bytes payload(frame.begin() + kFrameHeaderSize, frame.end());
  const std::uint32_t checksum = payload_checksum(payload);
  for (int i = 0; i < 4; ++i) frame[9 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(checksum >> (8 * i));
  peer.send(frame);
  EXPECT_TRUE(peer.closed_by_peer(5s));
  EXPECT_TRUE(net.wait_until([&] { return bans() == 1; }, 5s));
  expect_honest_peer_served();
}

TEST_F(CompactAdversary, OversizedCompactBlockIsCutOffAtItsHeader) {
  RawPeer peer(net.node(0).port);
  peer.handshake(net.spec(), 5553);
  Bytes frame = encode_frame(magic(), SendCmpctMsg{true, 1});
  frame[4] = static_cast<std::uint8_t>(MessageType::kCmpctBlock);
  frame.resize(kFrameHeaderSize);
  frame[5] = 0xff, frame[6] = 0xff, frame[7] = 0xff, frame[8] = 0x7f;  // 2 GiB
  peer.send(frame);
  EXPECT_TRUE(peer.closed_by_peer(5s));
  EXPECT_TRUE(net.wait_until([&] { return bans() == 1; }, 5s));
  expect_honest_peer_served();
}

TEST_F(CompactAdversary, TransactionRequestOutOfRangeIsBanned) {
  RawPeer peer(net.node(0).port);
  peer.handshake(net.spec(), 5554);
  const auto tip = net.on_io([&] { return net.node(0).harness.chain->tip().hash; });
  peer.send(GetBlockTxnMsg{tip, {0, 5}}, magic());  // the tip holds only its coinbase
  EXPECT_TRUE(peer.closed_by_peer(5s));
  EXPECT_TRUE(net.wait_until([&] { return bans() == 1; }, 5s));
  expect_honest_peer_served();
}

TEST_F(CompactAdversary, TransactionRequestInRangeIsAnswered) {
  RawPeer peer(net.node(0).port);
  peer.handshake(net.spec(), 5555);
  const auto tip = net.on_io([&] { return net.node(0).harness.chain->tip().hash; });
  peer.send(GetBlockTxnMsg{tip, {0}}, magic());
  auto answer = peer.wait_for(
      magic(), [](const Message& x) { return std::holds_alternative<BlockTxnMsg>(x); }, 5s);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(std::get<BlockTxnMsg>(*answer).block_hash, tip);
  EXPECT_EQ(std::get<BlockTxnMsg>(*answer).txs.size(), 1u);
}

// BIP152: a block relayed as cmpctblock may be passed on before it is validated, so a
// compact block whose header is valid but whose body is not costs its sender nothing...
TEST_F(CompactAdversary, InvalidBodyInACompactBlockIsNotPunished) {
  RawPeer peer(net.node(0).port);
  peer.handshake(net.spec(), 5556);
  const ledger::Block bad = next_block(true);
  CmpctBlockMsg m = make_compact_block(bad, 7);
  // Every transaction prefilled: the target holds none of them.
  m.short_ids.clear();
  m.prefilled = {PrefilledTx{0, bad.txs[0]}, PrefilledTx{1, bad.txs[1]}, PrefilledTx{2, bad.txs[2]}};
  peer.send(m, magic());
  EXPECT_TRUE(net.wait_until([&] {
    return net.on_io([&] {
      const ledger::BlockEntry* e = net.node(0).harness.chain->find(bad.hash());
      return e != nullptr && e->failed();
    });
  }, 5s));
  EXPECT_EQ(net.height(0), 1u);
  EXPECT_FALSE(peer.closed_by_peer(300ms));
  EXPECT_EQ(bans(), 0u);
  expect_honest_peer_served();
}

// ...while the same block sent whole is the sender's fault.
TEST_F(CompactAdversary, InvalidBodyInAFullBlockIsBanned) {
  RawPeer peer(net.node(0).port);
  peer.handshake(net.spec(), 5557);
  peer.send(BlockMsg{next_block(true)}, magic());
  EXPECT_TRUE(peer.closed_by_peer(5s));
  EXPECT_TRUE(net.wait_until([&] { return bans() == 1; }, 5s));
  expect_honest_peer_served();
}

}  // namespace
}  // namespace tally::p2p
