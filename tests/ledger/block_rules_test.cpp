// Block and header rules through the whole pipeline: every BlockError is produced by a block
// that breaks exactly that rule (a valid block with one thing changed, its Merkle root,
// state root and proof of work recomputed), submitted to a Chain on a real store. A refused
// block must move neither the tip nor the state, and the chain must still extend afterwards.
// Also: orphans, duplicates, and a heavier side branch that turns out invalid.
#include "ledger/block_rules.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "chain_fixture.h"

namespace tally::ledger {

// Readable failure output (found by GoogleTest through ADL; internal linkage).
static void PrintTo(BlockError e, std::ostream* os) { *os << reason_code(e); }
static void PrintTo(TxError e, std::ostream* os) { *os << reason_code(e); }

namespace {

using testing::ChainHarness;
using testing::kInitialBalance;
using testing::mine;
using testing::test_address;
using testing::test_key;

// Where a refused block must leave the block tree.
enum class Stored {
  kNo,            // refused on its header: not in the tree at all
  kMarkedFailed,  // in the tree and marked invalid (never retried)
  kHeaderOnly,    // header kept and not marked: the body did not match it
};

// Recomputes what a block commits to after a test changed it: the Merkle root, the state
// root (when the transactions apply to the tip's state; otherwise the old root stays) and
// the proof of work. REQUIRES: `b` is a child of the tip.
void refinish(const ChainHarness& h, Block& b) {
  b.header.tx_root = b.compute_tx_root();
  if (!b.txs.empty()) {
    if (auto root = h.chain->state_root_after(b)) b.header.state_root = *root;
  }
  b.header.nonce = 0;
  mine(b, h.spec);
}

// A child of the tip with a coinbase paying subsidy + fees and these transfers, whether or
// not they apply.
Block raw_block(const ChainHarness& h, std::vector<Transaction> txs, int miner = 0) {
  Block b;
  b.header = h.chain->next_header(static_cast<std::int64_t>(h.chain->tip().header.time) + h.spec.block_interval_s);
  Amount fees = 0;
  for (const Transaction& tx : txs) fees += tx.fee;
  b.txs.push_back(make_coinbase(h.spec.chain_id, b.header.height, test_address(miner), h.spec.subsidy + fees));
  for (Transaction& tx : txs) b.txs.push_back(std::move(tx));
  refinish(h, b);
  return b;
}

// A coinbase-only child of `parent` built without a chain (for parents no chain would
// connect): ASERT bits anchored at `block1_time`, state root copied from the parent.
Block child_of(const ChainSpec& spec, const Block& parent, std::int64_t block1_time, int miner = 5) {
  Block b;
  b.header.height = parent.header.height + 1;
  b.header.prev_hash = parent.hash();
  b.header.bits = parent.header.height == 0
                      ? spec.genesis_bits
                      : asert_next_bits(spec.asert_params(block1_time), parent.header.height, parent.header.time);
  b.header.time = parent.header.time + static_cast<std::uint32_t>(spec.block_interval_s);
  b.header.state_root = parent.header.state_root;
  b.txs.push_back(make_coinbase(spec.chain_id, b.header.height, test_address(miner), spec.subsidy));
  b.header.tx_root = b.compute_tx_root();
  mine(b, spec);
  return b;
}

void flip_bit(Hash256& h) { h.bytes[7] ^= 0x10; }

// Submits `b` and expects it refused for `error` (and `tx_error`, `tx_index`), with the tip
// and the state unchanged and the block tree as `stored` says.
void expect_rejected(ChainHarness& h, const Block& b, BlockError error, Stored stored,
                     std::optional<TxError> tx_error = std::nullopt, std::size_t tx_index = 0,
                     std::optional<std::int64_t> now_s = std::nullopt) {
  const BlockHash tip = h.chain->tip().hash;
  const crypto::Hash256 state = h.chain->state_hash();
  const bool known_before = h.chain->find(b.hash()) != nullptr;
  auto r = h.chain->accept_block(b, now_s.value_or(h.now()));
  EXPECT_EQ(h.chain->tip().hash, tip);
  EXPECT_EQ(h.chain->state_hash(), state);
  ASSERT_FALSE(r.has_value()) << "block was accepted";
  EXPECT_EQ(r.error().kind, ChainError::Kind::kInvalid) << r.error().message;
  ASSERT_TRUE(r.error().failure.has_value()) << r.error().message;
  const BlockFailure& f = *r.error().failure;
  EXPECT_EQ(f.error, error) << r.error().message;
  EXPECT_EQ(f.tx_error, tx_error) << r.error().message;
  if (tx_error) {
    EXPECT_EQ(f.tx_index, tx_index) << r.error().message;
  }
  EXPECT_EQ(h.chain->orphan_count(), 0u);

  const BlockEntry* e = h.chain->find(b.hash());
  switch (stored) {
    case Stored::kNo:
      if (!known_before) {
        EXPECT_EQ(e, nullptr) << "a block refused on its header was added to the tree";
      }
      break;
    case Stored::kMarkedFailed:
      ASSERT_NE(e, nullptr);
      EXPECT_TRUE(e->failed());
      EXPECT_FALSE(h.chain->is_active(*e));
      break;
    case Stored::kHeaderOnly:
      ASSERT_NE(e, nullptr);
      EXPECT_FALSE(e->failed());
      EXPECT_FALSE(e->has_data());
      break;
  }
}

// The header alone is refused by accept_header for `error`, and nothing is added.
void expect_header_rejected(ChainHarness& h, const BlockHeader& header, BlockError error,
                            std::optional<std::int64_t> now_s = std::nullopt) {
  const std::size_t blocks = h.chain->block_count();
  auto r = h.chain->accept_header(header, now_s.value_or(h.now()));
  ASSERT_FALSE(r.has_value()) << "header was accepted";
  EXPECT_EQ(r.error().kind, ChainError::Kind::kInvalid) << r.error().message;
  ASSERT_TRUE(r.error().failure.has_value()) << r.error().message;
  EXPECT_EQ(r.error().failure->error, error) << r.error().message;
  EXPECT_EQ(h.chain->block_count(), blocks);
}

// A valid block with a transfer still connects on the tip.
void expect_extends(ChainHarness& h, int from = 3) {
  const Account before = h.account(from);
  const Block b = h.make_block({h.transfer(from, 4, 1'000, 10, before.nonce)}, 6);
  auto r = h.chain->accept_block(b, h.now());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->status, AcceptStatus::kAccepted);
  EXPECT_EQ(h.chain->tip().hash, b.hash());
  EXPECT_EQ(h.account(from), (Account{before.balance - 1'010, before.nonce + 1}));
}

#define EXPECT_REJECTED(...)                   \
  do {                                         \
    SCOPED_TRACE("expect_rejected");           \
    expect_rejected(__VA_ARGS__);              \
  } while (0)
#define EXPECT_HEADER_REJECTED(...)            \
  do {                                         \
    SCOPED_TRACE("expect_header_rejected");    \
    expect_header_rejected(__VA_ARGS__);       \
  } while (0)
#define EXPECT_EXTENDS(...)                    \
  do {                                         \
    SCOPED_TRACE("expect_extends");            \
    expect_extends(__VA_ARGS__);               \
  } while (0)

// ---- Header rules -----------------------------------------------------------------------

TEST(BlockRules, BadVersion) {
  ChainHarness h;
  const Block good = h.make_block({h.transfer(1, 2, 100, 10, 0)});
  for (std::uint32_t version : {0u, 2u, 0xffffffffu}) {
    Block b = good;
    b.header.version = version;
    refinish(h, b);
    EXPECT_HEADER_REJECTED(h, b.header, BlockError::kBadVersion);
    EXPECT_REJECTED(h, b, BlockError::kBadVersion, Stored::kNo);
  }
  h.add(good);
  EXPECT_EQ(h.chain->tip().hash, good.hash());
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, BadProofOfWork) {
  ChainSpec spec = testing::test_spec();
  spec.genesis_bits = spec.pow_limit_bits = 0x1f00ffff;  // about 1 hash in 65536 meets it
  ChainHarness h(spec);
  const Block good = h.make_block({h.transfer(1, 2, 100, 10, 0)});  // mined properly
  ASSERT_TRUE(check_proof_of_work(good.hash(), good.header.bits, spec.pow_limit()));

  Block high = good;
  do {
    ++high.header.nonce;
  } while (check_proof_of_work(high.hash(), high.header.bits, spec.pow_limit()));
  EXPECT_HEADER_REJECTED(h, high.header, BlockError::kBadProofOfWork);
  EXPECT_REJECTED(h, high, BlockError::kBadProofOfWork, Stored::kNo);

  // A target easier than the chain's limit fails even when the hash meets it.
  Block easy = good;
  easy.header.bits = 0x207fffff;
  const Uint256 easy_target = *target_from_compact(easy.header.bits);
  while (hash_to_uint(easy.hash()) > easy_target) ++easy.header.nonce;
  EXPECT_HEADER_REJECTED(h, easy.header, BlockError::kBadProofOfWork);
  EXPECT_REJECTED(h, easy, BlockError::kBadProofOfWork, Stored::kNo);

  // Bits that decode to no target at all (zero mantissa, negative).
  for (std::uint32_t bits : {0x1f000000u, 0x1f80ffffu}) {
    Block junk = good;
    junk.header.bits = bits;
    EXPECT_HEADER_REJECTED(h, junk.header, BlockError::kBadProofOfWork);
  }

  h.add(good);
  EXPECT_EQ(h.chain->tip().hash, good.hash());
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, BadBits) {
  ChainHarness h;
  // At height 1 (the genesis bits) and at height 3 (ASERT).
  for (int round = 0; round < 2; ++round) {
    const Block good = h.make_block({h.transfer(1, 2, 100, 10, h.account(1).nonce)});
    const std::uint32_t expected = h.chain->next_bits(h.chain->tip());
    ASSERT_EQ(good.header.bits, expected);
    for (std::uint32_t bits : {expected - 1, 0x1f7fffffu}) {  // harder targets, within the limit
      ASSERT_TRUE(target_from_compact(bits) && *target_from_compact(bits) <= h.spec.pow_limit());
      Block b = good;
      b.header.bits = bits;
      refinish(h, b);
      EXPECT_HEADER_REJECTED(h, b.header, BlockError::kBadBits);
      EXPECT_REJECTED(h, b, BlockError::kBadBits, Stored::kNo);
    }
    h.add(good);
    ASSERT_EQ(h.chain->tip().hash, good.hash());
    h.add(h.make_block({}));
  }
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, BadHeight) {
  ChainHarness h;
  h.add(h.make_block({}));
  const Block good = h.make_block({h.transfer(1, 2, 100, 10, 0)});
  for (std::uint32_t height : {0u, 1u, 3u, 1000u}) {
    Block b = good;
    b.header.height = height;
    b.txs[0].nonce = height;  // the coinbase agrees with the header
    refinish(h, b);
    EXPECT_HEADER_REJECTED(h, b.header, BlockError::kBadHeight);
    EXPECT_REJECTED(h, b, BlockError::kBadHeight, Stored::kNo);
  }
  h.add(good);
  EXPECT_EQ(h.chain->tip().hash, good.hash());
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, TimeTooOld) {
  ChainHarness h;
  for (int i = 0; i < 12; ++i) h.add(h.make_block({}));
  const std::int64_t mtp = Chain::median_time_past(h.chain->tip());
  ASSERT_EQ(mtp, testing::kGenesisTime + 70);  // blocks 2..12 at 10 s spacing
  const Block good = h.make_block({h.transfer(1, 2, 100, 10, 0)});
  for (std::int64_t t : {mtp, mtp - 1, testing::kGenesisTime}) {
    Block b = good;
    b.header.time = static_cast<std::uint32_t>(t);
    refinish(h, b);
    EXPECT_HEADER_REJECTED(h, b.header, BlockError::kTimeTooOld);
    EXPECT_REJECTED(h, b, BlockError::kTimeTooOld, Stored::kNo);
  }
  // One second after the median is fine, though earlier than the tip.
  Block b = good;
  b.header.time = static_cast<std::uint32_t>(mtp + 1);
  refinish(h, b);
  h.add(b);
  EXPECT_EQ(h.chain->tip().hash, b.hash());
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, TimeTooNew) {
  ChainHarness h;
  const std::int64_t now = static_cast<std::int64_t>(h.chain->tip().header.time) + 1'000;
  const Block good = h.make_block({h.transfer(1, 2, 100, 10, 0)});
  Block late = good;
  late.header.time = static_cast<std::uint32_t>(now + h.spec.max_future_drift_s + 1);
  refinish(h, late);
  EXPECT_HEADER_REJECTED(h, late.header, BlockError::kTimeTooNew, now);
  EXPECT_REJECTED(h, late, BlockError::kTimeTooNew, Stored::kNo, std::nullopt, 0, now);

  // Exactly max_future_drift_s ahead is fine.
  Block edge = good;
  edge.header.time = static_cast<std::uint32_t>(now + h.spec.max_future_drift_s);
  refinish(h, edge);
  auto r = h.chain->accept_block(edge, now);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(h.chain->tip().hash, edge.hash());

  // A block too far ahead was not marked invalid: once the clock catches up it is accepted
  // (as a sibling of equal work, so the first seen stays the tip).
  auto later = h.chain->accept_block(late, now + 1);
  ASSERT_TRUE(later.has_value()) << later.error().message;
  EXPECT_EQ(later->status, AcceptStatus::kAccepted);
  ASSERT_NE(h.chain->find(late.hash()), nullptr);
  EXPECT_FALSE(h.chain->find(late.hash())->failed());
  EXPECT_EQ(h.chain->tip().hash, edge.hash());
  EXPECT_EXTENDS(h);
}

// ---- Body rules ---------------------------------------------------------------------------

TEST(BlockRules, NoTransactions) {
  ChainHarness h;
  Block b = h.make_block({});
  b.txs.clear();
  refinish(h, b);
  EXPECT_REJECTED(h, b, BlockError::kNoTransactions, Stored::kMarkedFailed);
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, TooManyTransactions) {
  ChainSpec spec = testing::test_spec();
  spec.max_block_txs = 3;
  ChainHarness h(spec);
  const Block four = raw_block(h, {h.transfer(1, 2, 100, 10, 0), h.transfer(1, 3, 100, 10, 1),
                                   h.transfer(2, 3, 100, 10, 0)});
  ASSERT_EQ(four.txs.size(), 4u);
  ASSERT_EQ(four.header.state_root, *h.chain->state_root_after(four)) << "only the count is wrong";
  EXPECT_REJECTED(h, four, BlockError::kTooManyTransactions, Stored::kMarkedFailed);

  const Block three = raw_block(h, {h.transfer(1, 2, 100, 10, 0), h.transfer(1, 3, 100, 10, 1)});
  h.add(three);
  EXPECT_EQ(h.chain->tip().hash, three.hash());
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, FirstNotCoinbase) {
  ChainHarness h;
  const Block good = h.make_block({h.transfer(1, 2, 100, 10, 0)});
  Block missing = good;  // no coinbase at all
  missing.txs.erase(missing.txs.begin());
  refinish(h, missing);
  EXPECT_REJECTED(h, missing, BlockError::kFirstNotCoinbase, Stored::kMarkedFailed);

  Block swapped = good;  // coinbase second
  std::swap(swapped.txs[0], swapped.txs[1]);
  refinish(h, swapped);
  EXPECT_REJECTED(h, swapped, BlockError::kFirstNotCoinbase, Stored::kMarkedFailed);

  h.add(good);
  EXPECT_EQ(h.chain->tip().hash, good.hash());
  EXPECT_EXTENDS(h);
}

class BlockRulesCoinbase : public ::testing::Test {
 protected:
  void expect_bad_coinbase(void (*change)(Transaction&)) {
    const Block good = h_.make_block({h_.transfer(1, 2, 100, 10, 0)});
    Block b = good;
    change(b.txs[0]);
    ASSERT_TRUE(b.txs[0].is_coinbase());
    refinish(h_, b);
    ASSERT_EQ(b.header.state_root, good.header.state_root) << "only the coinbase's shape is wrong";
    EXPECT_REJECTED(h_, b, BlockError::kBadCoinbase, Stored::kMarkedFailed);
    h_.add(good);
    EXPECT_EQ(h_.chain->tip().hash, good.hash());
    EXPECT_EXTENDS(h_);
  }
  ChainHarness h_;
};

TEST_F(BlockRulesCoinbase, WrongNonce) {
  expect_bad_coinbase([](Transaction& cb) { cb.nonce += 1; });
}
TEST_F(BlockRulesCoinbase, WrongChainId) {
  expect_bad_coinbase([](Transaction& cb) { cb.chain_id += 1; });
}
TEST_F(BlockRulesCoinbase, NonZeroFee) {
  expect_bad_coinbase([](Transaction& cb) { cb.fee = 1; });
}

TEST(BlockRules, BadCoinbaseAmount) {
  ChainHarness h;
  const Block good = h.make_block({h.transfer(1, 2, 100, 10, 0), h.transfer(2, 3, 100, 25, 0)});
  ASSERT_EQ(good.txs[0].amount, h.spec.subsidy + 35);
  for (Amount amount : {good.txs[0].amount + 1, good.txs[0].amount - 1, h.spec.subsidy}) {
    Block b = good;
    b.txs[0].amount = amount;
    refinish(h, b);  // no state root for a block that does not apply: the old one stays
    EXPECT_REJECTED(h, b, BlockError::kBadCoinbaseAmount, Stored::kMarkedFailed);
  }
  h.add(good);
  EXPECT_EQ(h.chain->tip().hash, good.hash());
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, BadTxRootInHeader) {
  ChainHarness h;
  const Block good = h.make_block({h.transfer(1, 2, 100, 10, 0)});
  Block b = good;
  flip_bit(b.header.tx_root);
  b.header.nonce = 0;
  mine(b, h.spec);
  EXPECT_REJECTED(h, b, BlockError::kBadTxRoot, Stored::kHeaderOnly);
  h.add(good);
  EXPECT_EQ(h.chain->tip().hash, good.hash());
  EXPECT_EXTENDS(h);
}

// A body that does not match its (valid) header may have been damaged or mutated in
// transit: it must not get the header marked invalid, or whoever sent the mutation could
// keep the genuine block (and the branch on it) out of this node forever.
TEST(BlockRules, MutatedBodyDoesNotPoisonTheGenuineBlock) {
  ChainHarness h;
  const Block genuine = h.make_block({h.transfer(1, 2, 100, 10, 0), h.transfer(2, 3, 100, 10, 0)});
  std::vector<Block> mutations;
  {
    Block m = genuine;  // another transfer in place of the first, same fee
    m.txs[1] = h.transfer(1, 4, 999, 10, 0);
    mutations.push_back(m);
  }
  {
    Block m = genuine;  // a transaction dropped
    m.txs.pop_back();
    mutations.push_back(m);
  }
  {
    Block m = genuine;  // a transaction repeated
    m.txs.push_back(m.txs.back());
    mutations.push_back(m);
  }
  {
    Block m = genuine;  // no transactions
    m.txs.clear();
    mutations.push_back(m);
  }
  {
    Block m = genuine;  // coinbase dropped
    m.txs.erase(m.txs.begin());
    mutations.push_back(m);
  }
  for (const Block& m : mutations) {
    ASSERT_EQ(m.hash(), genuine.hash());
    EXPECT_REJECTED(h, m, BlockError::kBadTxRoot, Stored::kHeaderOnly);
  }
  auto r = h.chain->accept_block(genuine, h.now());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->status, AcceptStatus::kAccepted);
  EXPECT_EQ(h.chain->tip().hash, genuine.hash());
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, InvalidTransactionBadSignature) {
  for (unsigned threads : {1u, 3u}) {
    SCOPED_TRACE("verify_threads=" + std::to_string(threads));
    ChainOptions options;
    options.verify_threads = threads;
    ChainHarness h(testing::test_spec(), options);
    std::vector<Transaction> txs;
    for (int i = 0; i < 6; ++i) txs.push_back(h.transfer(i, (i + 1) % 8, 100, 10, 0));
    const Block good = h.make_block(txs);
    for (std::size_t index : {std::size_t{1}, std::size_t{4}, std::size_t{6}}) {
      Block b = good;
      b.txs[index].signature.bytes[40] ^= 0x01;
      refinish(h, b);
      ASSERT_EQ(b.header.state_root, good.header.state_root) << "signatures do not change the state";
      EXPECT_REJECTED(h, b, BlockError::kInvalidTransaction, Stored::kMarkedFailed, TxError::kBadSignature, index);
    }
    {
      Block b = good;  // signed by another key
      b.txs[2].signature = test_key(7).sign(b.txs[2].signature_hash().span());
      refinish(h, b);
      EXPECT_REJECTED(h, b, BlockError::kInvalidTransaction, Stored::kMarkedFailed, TxError::kBadSignature, 2);
    }
    h.add(good);
    EXPECT_EQ(h.chain->tip().hash, good.hash());
    EXPECT_EXTENDS(h, 7);
  }
}

TEST(BlockRules, InvalidTransactionNonceSpentTwiceInOneBlock) {
  ChainHarness h;
  const Block b = raw_block(h, {h.transfer(1, 2, 100, 10, 0), h.transfer(1, 3, 200, 10, 0)});
  EXPECT_REJECTED(h, b, BlockError::kInvalidTransaction, Stored::kMarkedFailed, TxError::kNonceTooLow, 2);
  // The same transaction twice.
  const Transaction t = h.transfer(1, 2, 100, 10, 0);
  EXPECT_REJECTED(h, raw_block(h, {t, t}), BlockError::kInvalidTransaction, Stored::kMarkedFailed,
                  TxError::kNonceTooLow, 2);
  // A gap.
  EXPECT_REJECTED(h, raw_block(h, {h.transfer(1, 2, 100, 10, 1)}), BlockError::kInvalidTransaction,
                  Stored::kMarkedFailed, TxError::kNonceTooHigh, 1);
  // In sequence is fine.
  const Block ok = raw_block(h, {h.transfer(1, 2, 100, 10, 0), h.transfer(1, 3, 200, 10, 1)});
  h.add(ok);
  EXPECT_EQ(h.chain->tip().hash, ok.hash());
  EXPECT_EQ(h.account(1).nonce, 2u);
  // A nonce already used in an earlier block.
  EXPECT_REJECTED(h, raw_block(h, {h.transfer(1, 2, 100, 10, 1)}), BlockError::kInvalidTransaction,
                  Stored::kMarkedFailed, TxError::kNonceTooLow, 1);
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, InvalidTransactionInsufficientFunds) {
  ChainHarness h;
  // One unit short, alone and after a transfer that leaves the sender short.
  EXPECT_REJECTED(h, raw_block(h, {h.transfer(1, 2, kInitialBalance - 9, 10, 0)}), BlockError::kInvalidTransaction,
                  Stored::kMarkedFailed, TxError::kInsufficientFunds, 1);
  EXPECT_REJECTED(h,
                  raw_block(h, {h.transfer(1, 2, 1'000, 10, 0), h.transfer(1, 2, kInitialBalance - 1'019, 10, 1)}),
                  BlockError::kInvalidTransaction, Stored::kMarkedFailed, TxError::kInsufficientFunds, 2);
  // Funds received earlier in the same block count.
  const Block ok = raw_block(h, {h.transfer(2, 1, 500, 10, 0), h.transfer(1, 3, kInitialBalance + 490, 10, 0)});
  h.add(ok);
  EXPECT_EQ(h.chain->tip().hash, ok.hash());
  EXPECT_EQ(h.account(1), (Account{0, 1}));
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, InvalidTransactionStatelessRules) {
  ChainHarness h;
  const Transaction valid = h.transfer(1, 2, 100, 10, 0);
  auto resigned = [&](Transaction tx) {
    tx.signature = test_key(1).sign(tx.signature_hash().span());
    return tx;
  };
  Transaction other_chain = valid;
  other_chain.chain_id += 1;
  EXPECT_REJECTED(h, raw_block(h, {resigned(other_chain)}), BlockError::kInvalidTransaction, Stored::kMarkedFailed,
                  TxError::kWrongChainId, 1);
  Transaction cheap = valid;
  cheap.fee = h.spec.min_fee - 1;
  EXPECT_REJECTED(h, raw_block(h, {h.transfer(2, 3, 1, 10, 0), resigned(cheap)}),
                  BlockError::kInvalidTransaction, Stored::kMarkedFailed, TxError::kFeeTooLow, 2);
  // A second coinbase.
  const Transaction coinbase = make_coinbase(h.spec.chain_id, 1, test_address(0), 0);
  EXPECT_REJECTED(h, raw_block(h, {valid, coinbase}), BlockError::kInvalidTransaction, Stored::kMarkedFailed,
                  TxError::kCoinbaseOutOfPlace, 2);
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, BadStateRoot) {
  ChainHarness h;
  const Block good = h.make_block({h.transfer(1, 2, 100, 10, 0)});
  Block flipped = good;
  flip_bit(flipped.header.state_root);
  flipped.header.nonce = 0;
  mine(flipped, h.spec);
  EXPECT_REJECTED(h, flipped, BlockError::kBadStateRoot, Stored::kMarkedFailed);
  Block unchanged = good;  // claims the parent's state
  unchanged.header.state_root = h.chain->state_hash();
  unchanged.header.nonce = 0;
  mine(unchanged, h.spec);
  EXPECT_REJECTED(h, unchanged, BlockError::kBadStateRoot, Stored::kMarkedFailed);
  h.add(good);
  EXPECT_EQ(h.chain->tip().hash, good.hash());
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, InvalidAncestor) {
  ChainHarness h;
  h.add(h.make_block({}));
  Block bad = h.make_block({h.transfer(1, 2, 100, 10, 0)});
  flip_bit(bad.header.state_root);
  bad.header.nonce = 0;
  mine(bad, h.spec);
  EXPECT_REJECTED(h, bad, BlockError::kBadStateRoot, Stored::kMarkedFailed);

  const Block child = child_of(h.spec, bad, h.chain->at_height(1)->header.time);
  ASSERT_EQ(child.header.bits, h.chain->next_bits(*h.chain->find(bad.hash())));
  EXPECT_HEADER_REJECTED(h, child.header, BlockError::kInvalidAncestor);
  EXPECT_REJECTED(h, child, BlockError::kInvalidAncestor, Stored::kNo);

  // The invalid block itself is not retried.
  auto again = h.chain->accept_block(bad, h.now());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().kind, ChainError::Kind::kInvalid);
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, ReasonCodesAndMessagesAreDistinct) {
  std::set<std::string> codes;
  std::set<std::string> messages;
  constexpr int kCount = static_cast<int>(BlockError::kInvalidAncestor) + 1;
  for (int i = 0; i < kCount; ++i) {
    const auto e = static_cast<BlockError>(i);
    EXPECT_STRNE(reason_code(e), "unknown");
    codes.insert(reason_code(e));
    messages.insert(to_string(e));
  }
  EXPECT_EQ(codes.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(messages.size(), static_cast<std::size_t>(kCount));
  const BlockFailure f{BlockError::kInvalidTransaction, TxError::kNonceTooHigh, 3};
  EXPECT_NE(f.message().find("transaction 3"), std::string::npos) << f.message();
}

// ---- Block tree ----------------------------------------------------------------------------

TEST(BlockRules, OrphansAreHeldUntilTheirParentArrives) {
  ChainHarness h;
  ChainHarness r;  // builds the branch
  std::vector<Block> branch;
  for (int i = 0; i < 4; ++i) {
    branch.push_back(r.make_block({r.transfer(i, i + 1, 1'000, 10, 0)}, i));
    r.add(branch.back());
  }
  // A child of the branch's tip that breaks a rule only the state reveals (a nonce gap).
  Block bad = r.make_block({r.transfer(7, 6, 5, 10, 0)});
  bad.txs[1].nonce = 1;
  bad.txs[1].signature = test_key(7).sign(bad.txs[1].signature_hash().span());
  bad.header.tx_root = bad.compute_tx_root();
  bad.header.nonce = 0;
  mine(bad, r.spec);

  for (const Block* b : {&bad, &branch[3], &branch[2], &branch[1], &branch[3]}) {
    auto res = h.chain->accept_block(*b, h.now());
    ASSERT_TRUE(res.has_value()) << res.error().message;
    EXPECT_EQ(res->status, AcceptStatus::kOrphan);
  }
  EXPECT_EQ(h.chain->orphan_count(), 4u) << "a repeated orphan is held once";
  EXPECT_EQ(h.chain->height(), 0u);

  // What can be checked without the parent is, so junk is refused rather than held.
  Block high = child_of(h.spec, branch[3], branch[0].header.time);
  while (check_proof_of_work(high.hash(), high.header.bits, h.spec.pow_limit())) ++high.header.nonce;
  Block empty = child_of(h.spec, branch[3], branch[0].header.time);
  empty.txs.clear();
  empty.header.tx_root = empty.compute_tx_root();
  mine(empty, h.spec);
  for (const auto& [junk, error] : {std::pair{&high, BlockError::kBadProofOfWork},
                                    std::pair{&empty, BlockError::kNoTransactions}}) {
    auto refused = h.chain->accept_block(*junk, h.now());
    ASSERT_FALSE(refused.has_value());
    ASSERT_TRUE(refused.error().failure.has_value());
    EXPECT_EQ(refused.error().failure->error, error);
  }
  EXPECT_EQ(h.chain->orphan_count(), 4u);

  auto res = h.chain->accept_block(branch[0], h.now());
  ASSERT_TRUE(res.has_value()) << res.error().message;
  EXPECT_EQ(res->status, AcceptStatus::kAccepted);
  EXPECT_EQ(h.chain->orphan_count(), 0u);
  EXPECT_EQ(h.chain->tip().hash, branch[3].hash());
  ASSERT_EQ(res->update.connected.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(res->update.connected[i]->hash, branch[i].hash());
  EXPECT_EQ(h.chain->state_hash(), r.chain->state_hash());
  for (int i = 0; i < testing::kFundedKeys; ++i) EXPECT_EQ(h.account(i), r.account(i)) << "key " << i;
  // The invalid orphan was tried when its parent connected, marked, and reported.
  ASSERT_NE(h.chain->find(bad.hash()), nullptr);
  EXPECT_TRUE(h.chain->find(bad.hash())->failed());
  ASSERT_EQ(res->update.invalidated.size(), 1u);
  EXPECT_EQ(res->update.invalidated[0].first, bad.hash());
  EXPECT_EQ(res->update.invalidated[0].second.error, BlockError::kInvalidTransaction);
  EXPECT_EQ(res->update.invalidated[0].second.tx_error, TxError::kNonceTooHigh);
  EXPECT_EXTENDS(h);
}

TEST(BlockRules, DuplicatesAreReported) {
  ChainHarness h;
  const Block b1 = h.make_block({h.transfer(1, 2, 100, 10, 0)});
  // Header first, then the block: not a duplicate.
  auto header = h.chain->accept_header(b1.header, h.now());
  ASSERT_TRUE(header.has_value());
  auto header_again = h.chain->accept_header(b1.header, h.now());
  ASSERT_TRUE(header_again.has_value());
  EXPECT_EQ(*header_again, *header);
  EXPECT_EQ(h.chain->height(), 0u);
  EXPECT_EQ(h.add(b1).status, AcceptStatus::kAccepted);
  EXPECT_EQ(h.chain->tip().hash, b1.hash());

  const crypto::Hash256 state = h.chain->state_hash();
  auto again = h.chain->accept_block(b1, h.now());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, AcceptStatus::kDuplicate);
  ASSERT_NE(again->entry, nullptr);
  EXPECT_EQ(again->entry->hash, b1.hash());
  EXPECT_FALSE(again->update.tip_changed());
  EXPECT_EQ(h.chain->state_hash(), state);

  // A stale sibling is a duplicate too, and stays stale.
  ChainHarness r;
  const Block s1 = r.make_block({}, 5);
  EXPECT_EQ(h.add(s1).status, AcceptStatus::kAccepted);
  EXPECT_EQ(h.add(s1).status, AcceptStatus::kDuplicate);
  EXPECT_EQ(h.chain->tip().hash, b1.hash());
  EXPECT_EQ(h.chain->block_count(), 3u);
  EXPECT_EXTENDS(h);
}

// Main branch a1 a2; a side branch s1 s2 s3 from genesis has more work, but s2's state root
// is wrong. Connecting it fails: s2 and its child s3 are marked, and the chain returns to a2.
TEST(BlockRules, HeavierBranchWithAnInvalidBlockIsAbandoned) {
  ChainHarness h;
  const Block a1 = h.make_block({h.transfer(1, 2, 100, 10, 0)});
  h.add(a1);
  const Block a2 = h.make_block({h.transfer(2, 3, 50, 10, 0)});
  h.add(a2);
  const crypto::Hash256 state_a = h.chain->state_hash();

  ChainHarness r;
  const Block s1 = r.make_block({r.transfer(1, 4, 700, 10, 0)}, 5);
  r.add(s1);
  Block s2 = r.make_block({r.transfer(4, 1, 1, 10, 0)}, 5);
  flip_bit(s2.header.state_root);
  s2.header.nonce = 0;
  mine(s2, r.spec);
  const Block s3 = child_of(h.spec, s2, s1.header.time);
  const Block s4 = child_of(h.spec, s3, s1.header.time);

  EXPECT_EQ(h.add(s1).status, AcceptStatus::kAccepted);
  EXPECT_EQ(h.add(s2).status, AcceptStatus::kAccepted);  // equal work: a2 was first and stays
  EXPECT_EQ(h.chain->tip().hash, a2.hash());
  EXPECT_FALSE(h.chain->find(s2.hash())->failed()) << "not connected, so not checked yet";

  auto r3 = h.chain->accept_block(s3, h.now());
  ASSERT_TRUE(r3.has_value()) << r3.error().message;  // s3 itself broke no rule
  EXPECT_EQ(h.chain->tip().hash, a2.hash());
  EXPECT_EQ(h.chain->state_hash(), state_a);
  EXPECT_EQ(h.account(1), (Account{kInitialBalance - 110, 1}));
  EXPECT_EQ(h.account(4), (Account{kInitialBalance, 0}));
  ASSERT_EQ(r3->update.invalidated.size(), 1u);
  EXPECT_EQ(r3->update.invalidated[0].first, s2.hash());
  EXPECT_EQ(r3->update.invalidated[0].second.error, BlockError::kBadStateRoot);
  EXPECT_FALSE(h.chain->find(s1.hash())->failed());
  EXPECT_TRUE(h.chain->find(s2.hash())->failed());
  EXPECT_TRUE(h.chain->find(s3.hash())->failed());
  EXPECT_TRUE(h.chain->is_active(*h.chain->find(a1.hash())));
  EXPECT_TRUE(h.chain->is_active(*h.chain->find(a2.hash())));
  EXPECT_FALSE(h.chain->is_active(*h.chain->find(s1.hash())));

  EXPECT_REJECTED(h, s4, BlockError::kInvalidAncestor, Stored::kNo);
  EXPECT_EXTENDS(h);
}

// The block that makes a side branch heavier is itself invalid: the branch's valid blocks
// are connected, the bad one fails, and the chain goes back to the original tip (equal work,
// seen first). A valid replacement for the bad block then wins.
TEST(BlockRules, InvalidTipOfHeavierBranchFallsBackThenValidReplacementWins) {
  ChainHarness h;
  const Block a1 = h.make_block({h.transfer(1, 2, 100, 10, 0)});
  h.add(a1);
  const Block a2 = h.make_block({h.transfer(1, 3, 50, 10, 1)});
  h.add(a2);
  const crypto::Hash256 state_a = h.chain->state_hash();

  ChainHarness r;
  const Block s1 = r.make_block({r.transfer(1, 4, 700, 10, 0)}, 5);
  r.add(s1);
  const Block s2 = r.make_block({r.transfer(4, 1, 1, 10, 0)}, 5);
  r.add(s2);
  Block s3_bad = r.make_block({r.transfer(1, 4, 2, 10, 1)}, 5);
  s3_bad.txs[1].signature.bytes[3] ^= 0x80;
  s3_bad.header.tx_root = s3_bad.compute_tx_root();
  mine(s3_bad, r.spec);

  h.add(s1);
  h.add(s2);
  EXPECT_EQ(h.chain->tip().hash, a2.hash());
  EXPECT_REJECTED(h, s3_bad, BlockError::kInvalidTransaction, Stored::kMarkedFailed, TxError::kBadSignature, 1);
  EXPECT_EQ(h.chain->tip().hash, a2.hash());
  EXPECT_EQ(h.chain->state_hash(), state_a);
  EXPECT_FALSE(h.chain->find(s1.hash())->failed());
  EXPECT_FALSE(h.chain->find(s2.hash())->failed());

  const Block s3 = r.make_block({r.transfer(1, 4, 2, 10, 1)}, 5);
  r.add(s3);
  auto res = h.chain->accept_block(s3, h.now());
  ASSERT_TRUE(res.has_value()) << res.error().message;
  EXPECT_EQ(h.chain->tip().hash, s3.hash());
  EXPECT_EQ(res->update.reorg_depth(), 2u);
  EXPECT_EQ(h.chain->state_hash(), r.chain->state_hash());
  EXPECT_EQ(h.account(4), r.account(4));
}

}  // namespace
}  // namespace tally::ledger
