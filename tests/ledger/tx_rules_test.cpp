// Transaction rules: each TxError is produced by a transaction that breaks exactly that rule
// (a valid transfer with one field changed and, unless the rule is the signature, re-signed),
// and the boundary value next to it passes.
#include "ledger/tx_rules.h"

#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <string>

#include "chain_fixture.h"

namespace tally::ledger {

// Readable failure output (found by GoogleTest through ADL; internal linkage).
static void PrintTo(TxError e, std::ostream* os) { *os << reason_code(e); }

namespace {

using testing::test_address;
using testing::test_key;

constexpr Amount kMax = std::numeric_limits<Amount>::max();

// The rule a check broke, or nullopt when it passed (so a wrong pass fails the test instead
// of reading error() of a value).
std::optional<TxError> error_of(const std::expected<void, TxError>& r) {
  return r ? std::nullopt : std::optional<TxError>(r.error());
}

constexpr TxError kAllTxErrors[] = {
    TxError::kWrongChainId,  TxError::kCoinbaseOutOfPlace, TxError::kFeeTooLow,
    TxError::kAmountOverflow, TxError::kBadSignature,      TxError::kNonceTooLow,
    TxError::kNonceTooHigh,  TxError::kInsufficientFunds,  TxError::kRecipientOverflow,
};

class TxRules : public ::testing::Test {
 protected:
  // A transfer from key 1 to key 2 that passes every rule against `funded`.
  Transaction valid() const { return make_transfer(test_key(1), spec_.chain_id, test_address(2), 300, 10, 5); }
  // Signs `tx` again with key 1 after a field was changed.
  static Transaction resigned(Transaction tx) {
    tx.signature = test_key(1).sign(tx.signature_hash().span());
    return tx;
  }
  static std::expected<void, TxError> check_all(const Transaction& tx, const ChainSpec& spec, const Account& sender) {
    if (auto r = check_tx_stateless(tx, spec); !r) return r;
    return check_tx_against_sender(tx, sender);
  }

  const ChainSpec spec_ = testing::test_spec();
  const Account funded_{10'000, 5};
};

TEST_F(TxRules, ValidTransferPassesAndApplies) {
  const Transaction tx = valid();
  ASSERT_TRUE(check_all(tx, spec_, funded_));
  Account sender = funded_;
  Account recipient{7, 0};
  ASSERT_TRUE(apply_transfer(tx, sender, recipient));
  EXPECT_EQ(sender, (Account{10'000 - 310, 6}));
  EXPECT_EQ(recipient, (Account{307, 0}));
}

TEST_F(TxRules, WrongChainId) {
  Transaction tx = valid();
  tx.chain_id = spec_.chain_id + 1;
  tx = resigned(tx);
  ASSERT_TRUE(tx.has_valid_signature());
  EXPECT_EQ(error_of(check_tx_stateless(tx, spec_)), TxError::kWrongChainId);
  // Valid for the chain it names.
  ChainSpec other = spec_;
  other.chain_id = tx.chain_id;
  EXPECT_TRUE(check_tx_stateless(tx, other));
}

TEST_F(TxRules, CoinbaseShapedSenderIsOutOfPlace) {
  Transaction tx = valid();
  tx.sender = PublicKey{};  // no key signs for the zero key, so the signature stays as it was
  EXPECT_EQ(error_of(check_tx_stateless(tx, spec_)), TxError::kCoinbaseOutOfPlace);
  EXPECT_EQ(error_of(check_tx_stateless(tx, spec_, /*verify_signature=*/false)), TxError::kCoinbaseOutOfPlace);
  // A real coinbase where a transfer belongs, even with an acceptable fee.
  Transaction coinbase = make_coinbase(spec_.chain_id, 1, test_address(0), spec_.subsidy);
  coinbase.fee = spec_.min_fee;
  ASSERT_TRUE(coinbase.is_coinbase());
  EXPECT_EQ(error_of(check_tx_stateless(coinbase, spec_, false)), TxError::kCoinbaseOutOfPlace);
}

TEST_F(TxRules, FeeBelowMinimum) {
  Transaction tx = valid();
  tx.fee = spec_.min_fee - 1;
  EXPECT_EQ(error_of(check_tx_stateless(resigned(tx), spec_)), TxError::kFeeTooLow);
  tx.fee = spec_.min_fee;
  EXPECT_TRUE(check_all(resigned(tx), spec_, funded_));
  tx.fee = 0;
  EXPECT_EQ(error_of(check_tx_stateless(resigned(tx), spec_)), TxError::kFeeTooLow);
}

TEST_F(TxRules, AmountPlusFeeOverflow) {
  Transaction tx = valid();
  tx.amount = kMax - tx.fee + 1;
  tx = resigned(tx);
  EXPECT_EQ(error_of(check_tx_stateless(tx, spec_)), TxError::kAmountOverflow);
  // The stateful check guards apply_transfer on its own too.
  EXPECT_EQ(error_of(check_tx_against_sender(tx, Account{kMax, 5})), TxError::kAmountOverflow);
  // amount + fee == 2^64 - 1 does not overflow; a sender holding all of it may send it.
  tx.amount = kMax - tx.fee;
  tx = resigned(tx);
  EXPECT_TRUE(check_all(tx, spec_, Account{kMax, 5}));
}

TEST_F(TxRules, FlippedSignatureBit) {
  for (std::size_t bit : {0u, 255u, 256u, 511u}) {  // in r and in s
    Transaction tx = valid();
    tx.signature.bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    EXPECT_EQ(error_of(check_tx_stateless(tx, spec_)), TxError::kBadSignature) << "bit " << bit;
    // A batch verifier has already checked signatures: the rest of the rules pass.
    EXPECT_TRUE(check_tx_stateless(tx, spec_, /*verify_signature=*/false));
    EXPECT_TRUE(check_tx_against_sender(tx, funded_));
  }
}

TEST_F(TxRules, SignatureByAnotherKey) {
  Transaction tx = valid();
  tx.signature = test_key(2).sign(tx.signature_hash().span());
  EXPECT_EQ(error_of(check_tx_stateless(tx, spec_)), TxError::kBadSignature);
  // A signature over different content by the right key fails too.
  Transaction other = valid();
  other.amount += 1;
  tx.signature = test_key(1).sign(other.signature_hash().span());
  EXPECT_EQ(error_of(check_tx_stateless(tx, spec_)), TxError::kBadSignature);
  // Changing a field after signing, without re-signing.
  Transaction changed = valid();
  changed.recipient = test_address(3);
  EXPECT_EQ(error_of(check_tx_stateless(changed, spec_)), TxError::kBadSignature);
}

TEST_F(TxRules, NonceTooLow) {
  Transaction tx = valid();
  tx.nonce = funded_.nonce - 1;
  tx = resigned(tx);
  ASSERT_TRUE(check_tx_stateless(tx, spec_));
  EXPECT_EQ(error_of(check_tx_against_sender(tx, funded_)), TxError::kNonceTooLow);
  tx.nonce = 0;
  EXPECT_EQ(error_of(check_tx_against_sender(resigned(tx), funded_)), TxError::kNonceTooLow);
}

TEST_F(TxRules, NonceTooHigh) {
  Transaction tx = valid();
  tx.nonce = funded_.nonce + 1;
  tx = resigned(tx);
  ASSERT_TRUE(check_tx_stateless(tx, spec_));
  EXPECT_EQ(error_of(check_tx_against_sender(tx, funded_)), TxError::kNonceTooHigh);
  tx.nonce = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(error_of(check_tx_against_sender(resigned(tx), funded_)), TxError::kNonceTooHigh);
}

TEST_F(TxRules, InsufficientFundsByOneAndExactlyEnough) {
  const Transaction tx = valid();
  const Amount total = tx.amount + tx.fee;
  EXPECT_EQ(error_of(check_tx_against_sender(tx, Account{total - 1, funded_.nonce})), TxError::kInsufficientFunds);
  EXPECT_EQ(error_of(check_tx_against_sender(tx, Account{0, funded_.nonce})), TxError::kInsufficientFunds);

  Account exact{total, funded_.nonce};
  ASSERT_TRUE(check_tx_against_sender(tx, exact));
  Account recipient;
  ASSERT_TRUE(apply_transfer(tx, exact, recipient));
  EXPECT_EQ(exact, (Account{0, funded_.nonce + 1}));
  EXPECT_EQ(recipient, (Account{tx.amount, 0}));
}

TEST_F(TxRules, RecipientOverflowLeavesBothAccountsUnchanged) {
  const Transaction tx = valid();
  Account sender = funded_;
  Account recipient{kMax - tx.amount + 1, 3};
  const Account recipient_before = recipient;
  EXPECT_EQ(error_of(apply_transfer(tx, sender, recipient)), TxError::kRecipientOverflow);
  EXPECT_EQ(sender, funded_);
  EXPECT_EQ(recipient, recipient_before);
  // Filling the recipient to exactly 2^64 - 1 is fine.
  recipient.balance = kMax - tx.amount;
  ASSERT_TRUE(apply_transfer(tx, sender, recipient));
  EXPECT_EQ(recipient.balance, kMax);
  EXPECT_EQ(sender, (Account{funded_.balance - 310, funded_.nonce + 1}));
}

TEST_F(TxRules, SelfTransferOnlyPaysTheFee) {
  const Transaction tx = make_transfer(test_key(1), spec_.chain_id, test_address(1), 4'000, 25, funded_.nonce);
  ASSERT_TRUE(check_all(tx, spec_, funded_));
  Account self = funded_;
  ASSERT_TRUE(apply_transfer(tx, self, self));
  EXPECT_EQ(self, (Account{funded_.balance - 25, funded_.nonce + 1}));

  // Sending the whole balance minus the fee to oneself is allowed, even near 2^64.
  const Transaction all = make_transfer(test_key(1), spec_.chain_id, test_address(1), kMax - 10, 10, 0);
  Account rich{kMax, 0};
  ASSERT_TRUE(check_all(all, spec_, rich));
  ASSERT_TRUE(apply_transfer(all, rich, rich));
  EXPECT_EQ(rich, (Account{kMax - 10, 1}));
}

TEST_F(TxRules, ReasonCodesAndMessagesAreDistinct) {
  std::set<std::string> codes;
  std::set<std::string> messages;
  for (TxError e : kAllTxErrors) {
    const std::string code = reason_code(e);
    EXPECT_NE(code, "unknown");
    EXPECT_EQ(code.find(' '), std::string::npos) << code;
    codes.insert(code);
    messages.insert(to_string(e));
  }
  EXPECT_EQ(codes.size(), std::size(kAllTxErrors));
  EXPECT_EQ(messages.size(), std::size(kAllTxErrors));
}

}  // namespace
}  // namespace tally::ledger
