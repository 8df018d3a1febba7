#include "ledger/mempool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <string_view>

#include "crypto/sha256.h"
#include "ledger_test_util.h"

namespace tally::ledger {
namespace {

constexpr std::uint32_t kChainId = 1;
constexpr Amount kMinFee = 10;
constexpr std::size_t kTx = Transaction::kSize;

ChainSpec test_spec() {
  ChainSpec spec;
  spec.name = "mempool-test";
  spec.chain_id = kChainId;
  spec.address_prefix = "tly";
  spec.network_magic = 0x796c6174;
  spec.genesis_bits = 0x207fffff;
  spec.pow_limit_bits = 0x207fffff;
  spec.block_interval_s = 10;
  spec.asert_half_life_s = 3600;
  spec.subsidy = 50;
  spec.max_block_txs = 1000;
  spec.min_fee = kMinFee;
  return spec;
}

crypto::SecretKey key_from_seed(std::string_view seed) {
  const auto digest = crypto::sha256(ByteSpan(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
  return crypto::SecretKey::from_bytes(digest.span()).value();
}

Address address_of_key(const crypto::SecretKey& key) { return crypto::address_of(key.public_key()); }

// Applies txs in order to a copy of `state`; true when every one is valid in sequence.
bool valid_in_sequence(const std::vector<Transaction>& txs, const MapStateView& state) {
  MapStateView s = state;
  for (const Transaction& tx : txs) {
    const Address from = crypto::address_of(tx.sender);
    Account sender = s.get(from);
    if (!check_tx_against_sender(tx, sender)) return false;
    if (tx.recipient == from) {
      if (!apply_transfer(tx, sender, sender)) return false;
    } else {
      Account recipient = s.get(tx.recipient);
      if (!apply_transfer(tx, sender, recipient)) return false;
      s.accounts[tx.recipient] = recipient;
    }
    s.accounts[from] = sender;
  }
  return true;
}

class MempoolTest : public ::testing::Test {
 protected:
  void fund(const crypto::SecretKey& key, Amount balance, std::uint64_t nonce = 0) {
    state_.accounts[address_of_key(key)] = Account{balance, nonce};
  }
  Transaction transfer(const crypto::SecretKey& key, std::uint64_t nonce, Amount fee = kMinFee,
                       Amount amount = 100) const {
    return make_transfer(key, kChainId, sink_, amount, fee, nonce);
  }
  std::expected<AcceptResult, MempoolError> accept(const Transaction& tx, std::int64_t now_ms = 0) {
    return pool_.accept(tx, state_, now_ms);
  }
  void expect_reject(const Transaction& tx, MempoolReject reason, std::int64_t now_ms = 0) {
    const auto result = accept(tx, now_ms);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().reason, reason) << result.error().message();
    EXPECT_FALSE(result.error().tx_error.has_value());
  }

  const crypto::SecretKey alice_ = key_from_seed("alice");
  const crypto::SecretKey bob_ = key_from_seed("bob");
  const crypto::SecretKey carol_ = key_from_seed("carol");
  const crypto::SecretKey dave_ = key_from_seed("dave");
  const Address sink_ = address_of_key(key_from_seed("sink"));
  MapStateView state_;
  MempoolOptions options_;
  Mempool pool_{test_spec(), options_};
};

TEST_F(MempoolTest, AcceptsTransferWithNextNonceAsReady) {
  fund(alice_, 1000);
  const Transaction tx = transfer(alice_, 0);
  const auto result = accept(tx);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->txid, tx.txid());
  EXPECT_EQ(result->queue, TxQueue::kReady);
  EXPECT_FALSE(result->replaced.has_value());
  EXPECT_EQ(pool_.size(), 1u);
  EXPECT_EQ(pool_.bytes(), kTx);
  EXPECT_EQ(pool_.ready_count(), 1u);
  EXPECT_EQ(pool_.future_count(), 0u);
  EXPECT_TRUE(pool_.contains(tx.txid()));
  EXPECT_EQ(pool_.get(tx.txid()), tx);
  EXPECT_EQ(pool_.all_txids(), std::vector<TxId>{tx.txid()});
  EXPECT_EQ(pool_.pending_nonce(address_of_key(alice_), state_), 1u);
  EXPECT_EQ(pool_.pending_nonce(address_of_key(bob_), state_), 0u);
}

TEST_F(MempoolTest, RejectsRuleViolationsAsInvalidWithTheTxError) {
  fund(alice_, 1000);
  struct Case {
    Transaction tx;
    TxError error;
  };
  Transaction tampered = transfer(alice_, 0);
  tampered.amount += 1;
  const std::vector<Case> cases = {
      {make_transfer(alice_, kChainId + 1, sink_, 100, kMinFee, 0), TxError::kWrongChainId},
      {transfer(alice_, 0, kMinFee - 1), TxError::kFeeTooLow},
      {tampered, TxError::kBadSignature},
      {transfer(alice_, 0, kMinFee, 5000), TxError::kInsufficientFunds},
      {make_coinbase(kChainId, 1, sink_, 50), TxError::kCoinbaseOutOfPlace},
  };
  for (const Case& c : cases) {
    const auto result = accept(c.tx);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().reason, MempoolReject::kInvalid);
    EXPECT_EQ(result.error().tx_error, c.error);
    EXPECT_STREQ(result.error().reason_code(), reason_code(c.error));
  }
  EXPECT_EQ(pool_.size(), 0u);
}

TEST_F(MempoolTest, SignatureCheckedSkipsOnlyTheSignature) {
  fund(alice_, 1000);
  Transaction tampered = transfer(alice_, 0);
  tampered.amount += 1;
  EXPECT_TRUE(pool_.accept(tampered, state_, 0, /*signature_checked=*/true).has_value());
  const auto wrong_chain = pool_.accept(make_transfer(alice_, 7, sink_, 1, kMinFee, 1), state_, 0, true);
  ASSERT_FALSE(wrong_chain.has_value());
  EXPECT_EQ(wrong_chain.error().tx_error, TxError::kWrongChainId);
}

TEST_F(MempoolTest, RejectsAlreadyKnown) {
  fund(alice_, 1000);
  const Transaction tx = transfer(alice_, 0);
  ASSERT_TRUE(accept(tx).has_value());
  expect_reject(tx, MempoolReject::kAlreadyKnown);
  EXPECT_EQ(pool_.size(), 1u);
}

TEST_F(MempoolTest, RejectsStaleNonce) {
  fund(alice_, 1000, /*nonce=*/5);
  expect_reject(transfer(alice_, 4), MempoolReject::kNonceTooLow);
  EXPECT_TRUE(accept(transfer(alice_, 5)).has_value());
}

TEST_F(MempoolTest, ReplaceByFeeNeedsTheMinimumBump) {
  options_.min_rbf_fee_bump = 5;
  pool_ = Mempool(test_spec(), options_);
  fund(alice_, 1000);
  const Transaction original = transfer(alice_, 0, 20);
  ASSERT_TRUE(accept(original).has_value());
  expect_reject(transfer(alice_, 0, 20, 99), MempoolReject::kReplacementFeeTooLow);
  expect_reject(transfer(alice_, 0, 24), MempoolReject::kReplacementFeeTooLow);
  EXPECT_TRUE(pool_.contains(original.txid()));

  const Transaction replacement = transfer(alice_, 0, 25);
  const auto result = accept(replacement);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->replaced, original.txid());
  EXPECT_EQ(result->queue, TxQueue::kReady);
  EXPECT_FALSE(pool_.contains(original.txid()));
  EXPECT_TRUE(pool_.contains(replacement.txid()));
  EXPECT_EQ(pool_.size(), 1u);
  EXPECT_EQ(pool_.ready_count(), 1u);
}

TEST_F(MempoolTest, ReplacingAReadyTxRechecksTheFollowersFunds) {
  fund(alice_, 1000);
  const Transaction t0 = transfer(alice_, 0);
  const Transaction t1 = transfer(alice_, 1);
  const Transaction t2 = transfer(alice_, 2);
  for (const auto& tx : {t0, t1, t2}) ASSERT_TRUE(accept(tx).has_value());

  // 110 + 720 + 110 = 940 <= 1000: every follower stays.
  const Transaction r1 = transfer(alice_, 1, 20, 700);
  auto result = accept(r1);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_TRUE(result->removed.empty());
  EXPECT_EQ(pool_.ready_count(), 3u);

  // The replacement alone cannot be paid after t0: refused, nothing changes.
  expect_reject(transfer(alice_, 1, 30, 880), MempoolReject::kInsufficientFundsForChain);
  EXPECT_TRUE(pool_.contains(r1.txid()));

  // 110 + 790 = 900 fits, but t2 (+110) no longer does: it is dropped, and so is the
  // future t4 behind it.
  const Transaction t4 = transfer(alice_, 4, 10, 10);
  ASSERT_TRUE(accept(t4).has_value());
  const Transaction r2 = transfer(alice_, 1, 30, 760);
  result = accept(r2);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->replaced, r1.txid());
  EXPECT_EQ(result->removed, (std::vector<TxId>{t2.txid(), t4.txid()}));
  EXPECT_EQ(pool_.size(), 2u);
  EXPECT_EQ(pool_.ready_count(), 2u);
  EXPECT_EQ(pool_.pending_nonce(address_of_key(alice_), state_), 2u);
}

TEST_F(MempoolTest, ReplacesAFutureTx) {
  fund(alice_, 1000);
  const Transaction future = transfer(alice_, 3);
  ASSERT_TRUE(accept(future).has_value());
  const auto result = accept(transfer(alice_, 3, 11));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->queue, TxQueue::kFuture);
  EXPECT_EQ(result->replaced, future.txid());
  EXPECT_EQ(pool_.future_count(), 1u);
}

TEST_F(MempoolTest, FutureNoncesArePromotedWhenTheGapFills) {
  fund(alice_, 1000);
  const Transaction t1 = transfer(alice_, 1);
  const Transaction t2 = transfer(alice_, 2);
  const Transaction t4 = transfer(alice_, 4);
  for (const auto& tx : {t2, t1, t4}) {
    const auto r = accept(tx);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->queue, TxQueue::kFuture);
  }
  EXPECT_EQ(pool_.future_count(), 3u);
  EXPECT_EQ(pool_.pending_nonce(address_of_key(alice_), state_), 0u);

  const auto result = accept(transfer(alice_, 0));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->queue, TxQueue::kReady);
  EXPECT_EQ(result->promoted, (std::vector<TxId>{t1.txid(), t2.txid()}));
  EXPECT_EQ(pool_.ready_count(), 3u);
  EXPECT_EQ(pool_.future_count(), 1u);  // nonce 4 still waits for 3
  EXPECT_EQ(pool_.pending_nonce(address_of_key(alice_), state_), 3u);
  EXPECT_EQ(pool_.info(t4.txid())->queue, TxQueue::kFuture);
}

TEST_F(MempoolTest, PromotionDropsTheFirstFutureTheBalanceCannotCover) {
  fund(alice_, 250);  // two transfers of 110
  const Transaction t1 = transfer(alice_, 1);
  const Transaction t2 = transfer(alice_, 2);
  ASSERT_TRUE(accept(t1).has_value());
  ASSERT_TRUE(accept(t2).has_value());
  const auto result = accept(transfer(alice_, 0));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->promoted, std::vector<TxId>{t1.txid()});
  EXPECT_EQ(result->removed, std::vector<TxId>{t2.txid()});
  EXPECT_EQ(pool_.size(), 2u);
}

TEST_F(MempoolTest, RejectsTooManyFutureTxsPerSender) {
  options_.max_future_per_sender = 2;
  pool_ = Mempool(test_spec(), options_);
  fund(alice_, 1000);
  fund(bob_, 1000);
  ASSERT_TRUE(accept(transfer(alice_, 1)).has_value());
  ASSERT_TRUE(accept(transfer(alice_, 2)).has_value());
  expect_reject(transfer(alice_, 3), MempoolReject::kFutureNonceLimit);
  EXPECT_TRUE(accept(transfer(bob_, 1)).has_value());
  EXPECT_TRUE(accept(transfer(alice_, 0)).has_value());  // ready txs are not limited
}

TEST_F(MempoolTest, RejectsTooManyFutureTxsInTotal) {
  options_.max_future_total = 2;
  pool_ = Mempool(test_spec(), options_);
  for (const auto* key : {&alice_, &bob_, &carol_}) fund(*key, 1000);
  ASSERT_TRUE(accept(transfer(alice_, 1)).has_value());
  ASSERT_TRUE(accept(transfer(bob_, 1)).has_value());
  expect_reject(transfer(carol_, 5), MempoolReject::kFutureNonceLimit);
  expect_reject(transfer(alice_, 2), MempoolReject::kFutureNonceLimit);
}

TEST_F(MempoolTest, RejectsWhatTheBalanceCannotCoverAfterPendingTxs) {
  fund(alice_, 250);
  ASSERT_TRUE(accept(transfer(alice_, 0)).has_value());
  ASSERT_TRUE(accept(transfer(alice_, 1)).has_value());
  expect_reject(transfer(alice_, 2), MempoolReject::kInsufficientFundsForChain);
  expect_reject(transfer(alice_, 5), MempoolReject::kInsufficientFundsForChain);  // futures too
  EXPECT_EQ(pool_.size(), 2u);
}

TEST_F(MempoolTest, WhenFullEvictsTheLowestFeeChainTailForAHigherFee) {
  options_.max_bytes = 3 * kTx;
  pool_ = Mempool(test_spec(), options_);
  for (const auto* key : {&alice_, &bob_, &carol_, &dave_}) fund(*key, 1000);
  // alice's nonce 0 pays least but is not a tail: evicting it would strand nonce 1.
  const Transaction a0 = transfer(alice_, 0, 11);
  const Transaction a1 = transfer(alice_, 1, 50);
  const Transaction b0 = transfer(bob_, 0, 12);
  for (const auto& tx : {a0, a1, b0}) ASSERT_TRUE(accept(tx).has_value());

  const Transaction c0 = transfer(carol_, 0, 100);
  const auto result = accept(c0);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->removed, std::vector<TxId>{b0.txid()});
  EXPECT_EQ(pool_.size(), 3u);
  EXPECT_EQ(pool_.bytes(), 3 * kTx);
  EXPECT_TRUE(pool_.contains(a0.txid()));
  EXPECT_TRUE(pool_.contains(a1.txid()));

  // The lowest tail is now alice's nonce 1 (50).
  const Transaction d0 = transfer(dave_, 0, 60);
  ASSERT_TRUE(accept(d0).has_value());
  EXPECT_FALSE(pool_.contains(a1.txid()));
  EXPECT_TRUE(pool_.contains(a0.txid()));
  EXPECT_EQ(pool_.pending_nonce(address_of_key(alice_), state_), 1u);
}

TEST_F(MempoolTest, RejectsWhenFullAndTheFeeDoesNotBeatAnyTail) {
  options_.max_bytes = 2 * kTx;
  pool_ = Mempool(test_spec(), options_);
  for (const auto* key : {&alice_, &bob_, &carol_}) fund(*key, 1000);
  ASSERT_TRUE(accept(transfer(alice_, 0, 20)).has_value());
  ASSERT_TRUE(accept(transfer(bob_, 0, 30)).has_value());
  expect_reject(transfer(carol_, 0, 20), MempoolReject::kMempoolFull);  // equal is not more
  expect_reject(transfer(carol_, 0, 15), MempoolReject::kMempoolFull);
  EXPECT_EQ(pool_.size(), 2u);
}

TEST_F(MempoolTest, WhenFullASenderDoesNotEvictItsOwnChain) {
  options_.max_bytes = 2 * kTx;
  pool_ = Mempool(test_spec(), options_);
  fund(alice_, 1000);
  ASSERT_TRUE(accept(transfer(alice_, 0, 20)).has_value());
  ASSERT_TRUE(accept(transfer(alice_, 1, 20)).has_value());
  // Evicting nonce 1 would leave the newcomer (nonce 2) behind a gap.
  expect_reject(transfer(alice_, 2, 100), MempoolReject::kMempoolFull);
  // Replacing by fee needs no room.
  EXPECT_TRUE(accept(transfer(alice_, 1, 100)).has_value());
  EXPECT_EQ(pool_.size(), 2u);
}

TEST_F(MempoolTest, ExpiryDropsOldTxsWithTheirSendersLaterOnes) {
  options_.expiry_ms = 1000;
  pool_ = Mempool(test_spec(), options_);
  fund(alice_, 1000);
  fund(bob_, 1000);
  const Transaction a0 = transfer(alice_, 0);
  const Transaction a1 = transfer(alice_, 1);
  const Transaction b0 = transfer(bob_, 0);
  ASSERT_TRUE(accept(a0, 0).has_value());
  ASSERT_TRUE(accept(a1, 500).has_value());
  ASSERT_TRUE(accept(b0, 500).has_value());

  EXPECT_TRUE(pool_.expire(999).empty());
  const std::vector<TxId> removed = pool_.expire(1000);
  EXPECT_EQ(removed, (std::vector<TxId>{a1.txid(), a0.txid()}));
  EXPECT_EQ(pool_.size(), 1u);
  EXPECT_TRUE(pool_.contains(b0.txid()));
  EXPECT_EQ(pool_.ready_count(), 1u);
  EXPECT_EQ(pool_.expire(1500), std::vector<TxId>{b0.txid()});
  EXPECT_EQ(pool_.size(), 0u);
}

TEST_F(MempoolTest, RejectsARecentlyExpiredTxForOneExpiryPeriod) {
  options_.expiry_ms = 1000;
  pool_ = Mempool(test_spec(), options_);
  fund(alice_, 1000);
  const Transaction tx = transfer(alice_, 0);
  ASSERT_TRUE(accept(tx, 0).has_value());
  ASSERT_EQ(pool_.expire(1000).size(), 1u);
  expect_reject(tx, MempoolReject::kExpired, 1500);
  const Transaction next = transfer(alice_, 1);
  EXPECT_TRUE(accept(next, 1500).has_value());  // another tx is fine
  EXPECT_TRUE(pool_.expire(2000).empty());
  const auto result = accept(tx, 2000);  // forgotten after one more expiry period
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->promoted, std::vector<TxId>{next.txid()});
}

TEST_F(MempoolTest, ReasonCodesAreDistinct) {
  const std::vector<MempoolReject> all = {
      MempoolReject::kInvalid,          MempoolReject::kAlreadyKnown, MempoolReject::kNonceTooLow,
      MempoolReject::kReplacementFeeTooLow, MempoolReject::kFutureNonceLimit, MempoolReject::kMempoolFull,
      MempoolReject::kInsufficientFundsForChain, MempoolReject::kExpired};
  std::set<std::string> codes;
  for (auto r : all) {
    codes.insert(reason_code(r));
    EXPECT_STRNE(to_string(r), "unknown mempool error");
  }
  EXPECT_EQ(codes.size(), all.size());
  const MempoolError full{MempoolReject::kMempoolFull, std::nullopt};
  EXPECT_STREQ(full.reason_code(), "mempool-full");
}

TEST_F(MempoolTest, SelectsByFeeAcrossSendersInNonceOrderPerSender) {
  for (const auto* key : {&alice_, &bob_, &carol_}) fund(*key, 1000);
  const Transaction a0 = transfer(alice_, 0, 10);
  const Transaction a1 = transfer(alice_, 1, 100);
  const Transaction b0 = transfer(bob_, 0, 50);
  const Transaction b1 = transfer(bob_, 1, 15);
  const Transaction c0 = transfer(carol_, 0, 20);
  const Transaction c5 = transfer(carol_, 5, 500);  // future: never selected
  for (const auto& tx : {a1, a0, b0, b1, c0, c5}) ASSERT_TRUE(accept(tx).has_value());

  const auto all = pool_.select_for_block(state_, 100);
  EXPECT_EQ(all, (std::vector<Transaction>{b0, c0, b1, a0, a1}));
  EXPECT_TRUE(valid_in_sequence(all, state_));
  EXPECT_EQ(pool_.select_for_block(state_, 2), (std::vector<Transaction>{b0, c0}));
  EXPECT_TRUE(pool_.select_for_block(state_, 0).empty());
}

TEST_F(MempoolTest, SelectionRechecksAgainstTheGivenState) {
  fund(alice_, 1000);
  fund(bob_, 1000);
  const Transaction a0 = transfer(alice_, 0, 10);
  const Transaction a1 = transfer(alice_, 1, 10);
  const Transaction b0 = transfer(bob_, 0, 30);
  for (const auto& tx : {a0, a1, b0}) ASSERT_TRUE(accept(tx).has_value());

  MapStateView other = state_;
  other.accounts[address_of_key(alice_)] = Account{150, 0};  // covers only a0
  other.accounts[address_of_key(bob_)] = Account{1000, 1};  // b0 already mined
  const auto selected = pool_.select_for_block(other, 100);
  EXPECT_EQ(selected, std::vector<Transaction>{a0});
  EXPECT_TRUE(valid_in_sequence(selected, other));
}

TEST_F(MempoolTest, SelectionLetsARecipientSpendWhatItReceives) {
  fund(alice_, 1000);
  fund(bob_, 0);
  const Transaction pay_bob = make_transfer(alice_, kChainId, address_of_key(bob_), 500, 10, 0);
  ASSERT_TRUE(accept(pay_bob).has_value());
  // Bob has nothing yet, so his tx cannot enter through accept; put it in with a state
  // where he is funded, then select against the real one.
  MapStateView funded = state_;
  funded.accounts[address_of_key(bob_)] = Account{500, 0};
  const Transaction bob0 = transfer(bob_, 0, 99);
  ASSERT_TRUE(pool_.accept(bob0, funded, 0).has_value());
  const auto selected = pool_.select_for_block(state_, 10);
  EXPECT_EQ(selected, (std::vector<Transaction>{pay_bob, bob0}));
  EXPECT_TRUE(valid_in_sequence(selected, state_));
}

TEST_F(MempoolTest, BlockConnectedRemovesIncludedAndRevalidates) {
  fund(alice_, 1000);
  fund(bob_, 1000);
  fund(carol_, 1000);
  const Transaction a0 = transfer(alice_, 0);
  const Transaction a1 = transfer(alice_, 1);
  const Transaction a2 = transfer(alice_, 2);
  const Transaction b0 = transfer(bob_, 0);
  const Transaction c1 = transfer(carol_, 1);  // waits for carol's nonce 0
  for (const auto& tx : {a0, a1, a2, b0, c1}) ASSERT_TRUE(accept(tx).has_value());

  // The block mines a0, a different bob nonce-0 tx and carol's nonce 0 from elsewhere.
  const Transaction b0_other = transfer(bob_, 0, 10, 777);
  const Transaction c0_other = transfer(carol_, 0);
  Block block;
  block.txs = {make_coinbase(kChainId, 1, sink_, 80), a0, b0_other, c0_other};
  MapStateView next = state_;
  next.accounts[address_of_key(alice_)] = Account{150, 1};  // now covers a1 but not a2
  next.accounts[address_of_key(bob_)] = Account{213, 1};
  next.accounts[address_of_key(carol_)] = Account{890, 1};

  const TipUpdate update = pool_.on_block_connected(block, next);
  EXPECT_EQ(update.included, std::vector<TxId>{a0.txid()});
  std::vector<TxId> removed = update.removed;
  std::sort(removed.begin(), removed.end());
  std::vector<TxId> expected_removed = {a2.txid(), b0.txid()};
  std::sort(expected_removed.begin(), expected_removed.end());
  EXPECT_EQ(removed, expected_removed);
  EXPECT_EQ(update.promoted, std::vector<TxId>{c1.txid()});
  EXPECT_EQ(pool_.size(), 2u);
  EXPECT_EQ(pool_.ready_count(), 2u);
  EXPECT_EQ(pool_.pending_nonce(address_of_key(alice_), next), 2u);
  EXPECT_TRUE(valid_in_sequence(pool_.select_for_block(next, 100), next));
  EXPECT_EQ(pool_.select_for_block(next, 100).size(), 2u);
}

TEST_F(MempoolTest, BlocksDisconnectedReturnTheirTxsToThePool) {
  fund(alice_, 1000);
  fund(bob_, 1000);
  const Transaction a0 = transfer(alice_, 0);
  const Transaction a1 = transfer(alice_, 1);
  const Transaction b0 = transfer(bob_, 0, 10, 5000);  // not fundable after the reorg
  ASSERT_TRUE(accept(a0).has_value());
  ASSERT_TRUE(accept(a1).has_value());

  const Transaction coinbase = make_coinbase(kChainId, 1, sink_, 60);
  Block block;
  block.txs = {coinbase, a0, b0};
  MapStateView after = state_;
  after.accounts[address_of_key(alice_)] = Account{890, 1};
  after.accounts[address_of_key(bob_)] = Account{100000, 1};
  (void)pool_.on_block_connected(block, after);
  ASSERT_EQ(pool_.size(), 1u);
  ASSERT_EQ(pool_.pending_nonce(address_of_key(alice_), after), 2u);

  const TipUpdate update = pool_.on_blocks_disconnected(block.txs, state_, 10);
  EXPECT_EQ(update.readded, std::vector<TxId>{a0.txid()});
  EXPECT_TRUE(update.removed.empty());
  EXPECT_EQ(pool_.size(), 2u);
  EXPECT_EQ(pool_.ready_count(), 2u);
  EXPECT_FALSE(pool_.contains(coinbase.txid()));
  EXPECT_FALSE(pool_.contains(b0.txid()));
  EXPECT_EQ(pool_.select_for_block(state_, 10), (std::vector<Transaction>{a0, a1}));
}

// A reorg reported as one update: the old branch's txs come back against the final state,
// then the new branch's blocks are connected against that same state.
TEST_F(MempoolTest, ReorgReportedWithTheFinalStateKeepsOnlyTheLosingBranchsTxs) {
  fund(alice_, 1000);
  fund(bob_, 1000);
  const Transaction a0 = transfer(alice_, 0);
  const Transaction b0 = transfer(bob_, 0);
  const Transaction a1 = transfer(alice_, 1);
  Block old_block;
  old_block.txs = {make_coinbase(kChainId, 1, sink_, 70), a0, b0};
  Block new_block;
  new_block.txs = {make_coinbase(kChainId, 1, sink_, 60), a0};
  ASSERT_TRUE(accept(a1, 0).has_value());  // future until a0 is mined

  MapStateView final_state = state_;
  final_state.accounts[address_of_key(alice_)] = Account{890, 1};
  const TipUpdate back = pool_.on_blocks_disconnected(old_block.txs, final_state, 5);
  EXPECT_EQ(back.readded, std::vector<TxId>{b0.txid()});
  EXPECT_EQ(back.promoted, std::vector<TxId>{a1.txid()});
  const TipUpdate forward = pool_.on_block_connected(new_block, final_state);
  EXPECT_TRUE(forward.included.empty());
  EXPECT_TRUE(forward.removed.empty());
  EXPECT_EQ(pool_.size(), 2u);
  EXPECT_EQ(pool_.ready_count(), 2u);
  EXPECT_TRUE(valid_in_sequence(pool_.select_for_block(final_state, 10), final_state));
}

TEST_F(MempoolTest, AcceptCatchesUpWithAStateThePoolHasNotSeen) {
  fund(alice_, 1000);
  const Transaction a0 = transfer(alice_, 0);
  const Transaction a1 = transfer(alice_, 1);
  ASSERT_TRUE(accept(a0).has_value());
  ASSERT_TRUE(accept(a1).has_value());
  fund(alice_, 890, 1);  // a0 mined, on_block_connected not called yet
  EXPECT_EQ(pool_.pending_nonce(address_of_key(alice_), state_), 2u);
  const auto result = accept(transfer(alice_, 2));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->queue, TxQueue::kReady);
  EXPECT_EQ(result->removed, std::vector<TxId>{a0.txid()});
  EXPECT_EQ(pool_.size(), 2u);
}

// Random accepts (fresh, replacing, future), blocks, reorgs and expiry against a model
// state; after every step the pool's counters agree, and a full template is valid in
// sequence and holds exactly the ready transactions. Signatures are skipped (not under test).
TEST_F(MempoolTest, RandomOperationsKeepInvariants) {
  const std::uint64_t seed = test_util::testing_seed();
  SCOPED_TRACE(test_util::seed_trace(seed));
  std::mt19937_64 rng(seed);
  options_.max_bytes = 40 * kTx;
  options_.max_future_per_sender = 3;
  options_.max_future_total = 8;
  options_.expiry_ms = 5000;
  pool_ = Mempool(test_spec(), options_);

  std::vector<crypto::SecretKey> keys;
  for (int i = 0; i < 6; ++i) keys.push_back(key_from_seed("random-" + std::to_string(i)));
  for (const auto& key : keys) fund(key, 2000);
  const auto unsigned_tx = [&](std::size_t who, std::uint64_t nonce, Amount fee, Amount amount) {
    Transaction tx;
    tx.chain_id = kChainId;
    tx.sender = keys[who].public_key();
    tx.recipient = address_of_key(keys[rng() % keys.size()]);
    tx.amount = amount;
    tx.fee = fee;
    tx.nonce = nonce;
    tx.signature.bytes[0] = 1;
    return tx;
  };
  const auto apply_all = [](const std::vector<Transaction>& txs, MapStateView& s) {
    for (const auto& tx : txs) {
      const Address from = crypto::address_of(tx.sender);
      Account sender = s.get(from);
      if (tx.recipient == from) {
        (void)apply_transfer(tx, sender, sender);
      } else {
        Account recipient = s.get(tx.recipient);
        (void)apply_transfer(tx, sender, recipient);
        s.accounts[tx.recipient] = recipient;
      }
      s.accounts[from] = sender;
    }
  };

  std::vector<std::pair<Block, MapStateView>> history;  // connected blocks and the state before each
  std::size_t accepted = 0, replaced = 0, mined = 0, readded = 0, expired = 0;
  std::int64_t now_ms = 0;
  for (int step = 0; step < 1500; ++step) {
    now_ms += static_cast<std::int64_t>(rng() % 100);
    const auto op = rng() % 20;
    if (op < 14) {
      const std::size_t who = rng() % keys.size();
      const std::uint64_t base = state_.get(address_of_key(keys[who])).nonce;
      const std::uint64_t nonce = base + rng() % 6;
      const auto r = pool_.accept(unsigned_tx(who, nonce, kMinFee + rng() % 50, rng() % 400), state_, now_ms, true);
      accepted += r.has_value();
      replaced += r.has_value() && r->replaced.has_value();
    } else if (op < 17) {
      // Mine a template of up to 5 txs and move the model state.
      const auto txs = pool_.select_for_block(state_, 5);
      ASSERT_TRUE(valid_in_sequence(txs, state_));
      Block block;
      block.txs.push_back(make_coinbase(kChainId, static_cast<std::uint32_t>(history.size() + 1), sink_, 50));
      block.txs.insert(block.txs.end(), txs.begin(), txs.end());
      history.emplace_back(block, state_);
      apply_all(txs, state_);
      const TipUpdate update = pool_.on_block_connected(block, state_);
      EXPECT_EQ(update.included.size(), txs.size());
      mined += txs.size();
    } else if (op < 18 && !history.empty()) {
      // Reorg: disconnect the last one or two blocks.
      std::vector<Transaction> back;
      for (int i = 0; i < 1 + static_cast<int>(rng() % 2) && !history.empty(); ++i) {
        back.insert(back.begin(), history.back().first.txs.begin(), history.back().first.txs.end());
        state_ = history.back().second;
        history.pop_back();
      }
      readded += pool_.on_blocks_disconnected(back, state_, now_ms).readded.size();
    } else {
      expired += pool_.expire(now_ms).size();
    }
    ASSERT_EQ(pool_.size(), pool_.ready_count() + pool_.future_count());
    ASSERT_EQ(pool_.bytes(), pool_.size() * kTx);
    ASSERT_LE(pool_.bytes(), options_.max_bytes);
    ASSERT_LE(pool_.future_count(), options_.max_future_total) << "step " << step << " op " << op;
    ASSERT_EQ(pool_.all_txids().size(), pool_.size());
    const auto all = pool_.select_for_block(state_, 1000);
    ASSERT_TRUE(valid_in_sequence(all, state_)) << "step " << step;
    ASSERT_EQ(all.size(), pool_.ready_count()) << "step " << step;
    for (const auto& tx : all) ASSERT_EQ(pool_.info(tx.txid())->queue, TxQueue::kReady);
    for (std::size_t who = 0; who < keys.size(); ++who) {
      const Address a = address_of_key(keys[who]);
      std::uint64_t ready_of_sender = 0;
      for (const auto& tx : all) ready_of_sender += tx.sender == keys[who].public_key();
      ASSERT_EQ(pool_.pending_nonce(a, state_), state_.get(a).nonce + ready_of_sender);
    }
  }
  // The run must have exercised every path, or it proves little.
  EXPECT_GT(accepted, 100u);
  EXPECT_GT(replaced, 5u);
  EXPECT_GT(mined, 50u);
  EXPECT_GT(readded, 5u);
  EXPECT_GT(expired, 0u);
}

}  // namespace
}  // namespace tally::ledger
