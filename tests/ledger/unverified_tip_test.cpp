// A block is written while its signatures are still being verified (Chain::connect_tip),
// marked as an unverified tip. These tests stop the store at each write of that sequence,
// as a crash would, and check what the next start makes of it: a bad signature is taken
// back off the chain and marked invalid, a good block stays, and the marker never outlives
// the check. They also check the in-process undo of a bad block's write.
#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>

#include "chain_fixture.h"
#include "ledger/chain.h"
#include "ledger/chain_records.h"

namespace tally::ledger {
namespace {

using testing::ChainHarness;
using testing::test_address;

bool writes_to(const WriteBatch& batch, Column c, std::string_view key = {}) {
  return std::any_of(batch.ops().begin(), batch.ops().end(), [&](const WriteBatch::Op& op) {
    if (op.column != c || op.erase) return false;
    const auto k = batch.key(op);
    return key.empty() || std::string_view(reinterpret_cast<const char*>(k.data()), k.size()) == key;
  });
}

// The write that stores a block's data, and the one that connects it unverified.
bool stores_block(const WriteBatch& b) { return writes_to(b, Column::kBlockData); }
bool connects_unverified(const WriteBatch& b) { return writes_to(b, Column::kMeta, meta_key::kUnverifiedTip); }

// Forwards to a real store until it "dies" right after the first write that `last` picks:
// every later write fails, leaving on disk exactly what was written before.
class DyingStore final : public Store {
 public:
  explicit DyingStore(Store& inner) : inner_(inner) {}
  void die_after(bool (*last)(const WriteBatch&)) { last_ = last; }

  std::expected<std::optional<crypto::Bytes>, StoreError> get(Column c, crypto::ByteSpan key) const override {
    return inner_.get(c, key);
  }
  std::expected<void, StoreError> write(const WriteBatch& batch) override {
    if (dead_) return std::unexpected(StoreError{StoreError::Kind::kIo, "simulated crash"});
    if (last_ && last_(batch)) dead_ = true;
    return inner_.write(batch);
  }
  std::expected<void, StoreError> for_each(Column c,
                                           const std::function<bool(crypto::ByteSpan, crypto::ByteSpan)>& fn) const override {
    return inner_.for_each(c, fn);
  }
  std::expected<void, StoreError> for_each_prefix(
      Column c, crypto::ByteSpan prefix, const std::function<bool(crypto::ByteSpan, crypto::ByteSpan)>& fn) const override {
    return inner_.for_each_prefix(c, prefix, fn);
  }

 private:
  Store& inner_;
  bool (*last_)(const WriteBatch&) = nullptr;
  bool dead_ = false;
};

class UnverifiedTip : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(h.add(h.make_block({h.transfer(1, 2, 100, 10, 0)})).status, AcceptStatus::kAccepted);
    parent = h.chain->tip().hash;
    parent_root = h.chain->tip().header.state_root;
    before1 = h.account(1);
    before2 = h.account(2);
  }

  // A mined child of the tip with two transfers; the second one's signature is broken
  // when `bad`. Its state root is right either way, so only the signature can fail it.
  Block child(bool bad) {
    Block b = h.make_block({h.transfer(1, 2, 7, 10, 1), h.transfer(3, 2, 9, 10, 0)});
    if (bad) {
      b.txs[2].signature.bytes[5] ^= 1;
      b.header.tx_root = b.compute_tx_root();
      testing::mine(b, h.spec);
    }
    return b;
  }

  // Runs accept_block on a chain over a store that dies right after the write `last` picks.
  std::expected<BlockAcceptResult, ChainError> accept_dying(const Block& b, bool (*last)(const WriteBatch&)) {
    const std::int64_t now = h.now();
    h.chain.reset();
    DyingStore dying(*h.store);
    auto chain = Chain::open(h.spec, dying, ChainOptions{});
    EXPECT_TRUE(chain) << chain.error().message;
    dying.die_after(last);
    return (*chain)->accept_block(b, now);
  }

  // Opens the chain again on what the store holds, as the next start would.
  void restart() {
    h.chain.reset();
    auto chain = Chain::open(h.spec, *h.store, ChainOptions{});
    ASSERT_TRUE(chain) << chain.error().message;
    h.chain = std::move(*chain);
  }

  bool marker_present() const {
    auto m = h.store->get(Column::kMeta, meta_key::bytes(meta_key::kUnverifiedTip));
    EXPECT_TRUE(m);
    return m && m->has_value();
  }

  void expect_back_at_parent(const Block& rejected) {
    EXPECT_EQ(h.chain->tip().hash, parent);
    EXPECT_EQ(h.chain->state_hash(), parent_root);
    EXPECT_EQ(h.account(1), before1);
    EXPECT_EQ(h.account(2), before2);
    const BlockEntry* e = h.chain->find(rejected.hash());
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(e->failed());
    for (const Transaction& tx : rejected.txs) {
      auto found = h.chain->find_transaction(tx.txid());
      ASSERT_TRUE(found);
      EXPECT_FALSE(found->has_value()) << "index record of a rejected block's transaction";
    }
    auto history = h.chain->address_history(test_address(3), 0, 100);
    ASSERT_TRUE(history);
    EXPECT_TRUE(history->empty());
    EXPECT_FALSE(marker_present());
  }

  ChainHarness h;
  BlockHash parent;
  crypto::Hash256 parent_root;
  Account before1, before2;
};

TEST_F(UnverifiedTip, BadSignatureIsUndoneInProcess) {
  const Block b = child(/*bad=*/true);
  auto r = h.chain->accept_block(b, h.now());
  ASSERT_FALSE(r);
  ASSERT_TRUE(r.error().failure);
  EXPECT_EQ(r.error().failure->tx_error, TxError::kBadSignature);
  EXPECT_EQ(r.error().failure->tx_index, 2u);
  expect_back_at_parent(b);
  restart();
  expect_back_at_parent(b);
}

TEST_F(UnverifiedTip, CrashBeforeTheUndoOfABadBlockIsUndoneAtStart) {
  const Block b = child(/*bad=*/true);
  // The block is stored and connected unverified; the undo never lands.
  auto r = accept_dying(b, connects_unverified);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ChainError::Kind::kStore);
  EXPECT_TRUE(marker_present());
  restart();
  expect_back_at_parent(b);
  // The chain goes on from the parent.
  EXPECT_EQ(h.add(h.make_block({h.transfer(1, 2, 7, 10, 1)})).status, AcceptStatus::kAccepted);
  EXPECT_EQ(h.chain->height(), 2u);
}

TEST_F(UnverifiedTip, DamagedMarkerStillHasTheTipCheckedAgain) {
  const Block b = child(/*bad=*/true);
  auto r = accept_dying(b, connects_unverified);
  ASSERT_FALSE(r);
  // The marker's value is damaged (three bytes instead of a block hash).
  WriteBatch damage;
  const std::uint8_t junk[3] = {1, 2, 3};
  damage.put(Column::kMeta, meta_key::bytes(meta_key::kUnverifiedTip), junk);
  ASSERT_TRUE(h.store->write(damage));
  restart();
  expect_back_at_parent(b);
}

TEST_F(UnverifiedTip, CrashBeforeAGoodBlockIsConfirmedKeepsIt) {
  const Block b = child(/*bad=*/false);
  auto r = accept_dying(b, connects_unverified);
  ASSERT_FALSE(r);
  EXPECT_TRUE(marker_present());
  restart();
  EXPECT_EQ(h.chain->tip().hash, b.hash());
  EXPECT_EQ(h.chain->state_hash(), b.header.state_root);
  EXPECT_FALSE(marker_present());
  auto found = h.chain->find_transaction(b.txs[2].txid());
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->has_value());
}

TEST_F(UnverifiedTip, CrashBeforeTheConnectWriteLeavesTheBlockToConnectAtStart) {
  const Block b = child(/*bad=*/true);
  auto r = accept_dying(b, stores_block);  // only the block data lands
  ASSERT_FALSE(r);
  EXPECT_FALSE(marker_present());
  restart();  // activates the stored block, finds the bad signature, marks it
  expect_back_at_parent(b);
}

TEST_F(UnverifiedTip, BlockWithNoSignatureLeftToCheckIsWrittenVerifiedAtOnce) {
  const Block b = child(/*bad=*/false);
  const std::int64_t now = h.now();
  h.chain.reset();
  DyingStore dying(*h.store);
  auto chain = Chain::open(h.spec, dying, ChainOptions{});
  ASSERT_TRUE(chain) << chain.error().message;
  // Its transactions were verified on entry to this node's mempool.
  for (std::size_t i = 1; i < b.txs.size(); ++i) (*chain)->note_verified(b.txs[i].txid());
  // A marker would need a second write to clear, and that write would fail.
  dying.die_after(connects_unverified);
  auto r = (*chain)->accept_block(b, now);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*chain)->tip().hash, b.hash());
  EXPECT_FALSE(marker_present());
}

}  // namespace
}  // namespace tally::ledger
