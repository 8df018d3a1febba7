// Randomized differential test of Chain against a plain in-memory reference model.
//
// One seed (TALLY_SEED, else random and printed on failure) drives a run that grows a tree
// of branches: extend the tip, fork from a recent ancestor with a branch heavy enough to
// take over (reorgs of random depth), fork with a branch that stays stale, or revive a stale
// branch. Blocks carry random valid transfers among ten test keys (two start empty), some
// re-included from other branches and some conflicting with the branch they replace; some
// branches are delivered out of order (orphans). After every accept the test replays the
// active chain from genesis by hand, without the ledger's block rules, and compares every
// account, the state commitment, the transaction index and the choice of tip (most work,
// first seen on ties) with what the chain says.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <unordered_map>

#include "support/seed.h"
#include "chain_fixture.h"
#include "ledger/state_hash.h"

namespace tally::ledger {
namespace {

using testing::ChainHarness;
using testing::mine;
using testing::test_address;
using testing::test_key;

constexpr int kKeys = 10;  // keys 0..7 funded at genesis, 8 and 9 start empty
constexpr std::size_t kMinBlocks = 500;
constexpr std::size_t kMinReorgs = 60;
constexpr std::size_t kMaxBlocks = 1200;  // bound on the run whatever the dice say
constexpr std::size_t kPoolSize = 300;   // transactions kept for re-inclusion
constexpr std::uint64_t kUnseen = ~std::uint64_t{0};

using Model = std::map<crypto::Address, Account>;

std::uint64_t run_seed() {
  const auto seed = support::test_seed();  // TALLY_SEED, else random
  if (!seed) throw std::runtime_error(seed.error());
  return seed->value;
}

Account model_get(const Model& m, const crypto::Address& a) {
  auto it = m.find(a);
  return it == m.end() ? Account{} : it->second;
}

// The transaction rules that depend on state, by hand.
bool model_accepts(const Model& m, const Transaction& tx) {
  const Account s = model_get(m, crypto::address_of(tx.sender));
  return tx.nonce == s.nonce && s.balance >= tx.amount + tx.fee;
}

void model_transfer(Model& m, const Transaction& tx) {
  Account& s = m[crypto::address_of(tx.sender)];
  s.balance -= tx.amount + tx.fee;
  s.nonce += 1;
  m[tx.recipient].balance += tx.amount;  // after the debit, so sending to oneself works
}

crypto::Hash256 model_state_hash(const Model& m) {
  StateHash h;
  for (const auto& [address, account] : m)
    if (!account.empty()) h.add(address, account);
  return h.digest();
}

bool same_accounts(const Model& a, const Model& b) {
  for (const auto& [address, account] : a)
    if (model_get(b, address) != account) return false;
  for (const auto& [address, account] : b)
    if (model_get(a, address) != account) return false;
  return true;
}

// A block the test built, with what the test knows about it.
struct Node {
  Block block;
  BlockHash hash;
  Model state;                   // accounts after the block
  Uint256 work;                  // cumulative work of the branch up to this block
  std::int64_t block1_time = 0;  // time of this branch's block at height 1 (ASERT anchor)
  std::uint64_t seen = kUnseen;  // order in which it joined the chain's block tree
  int children = 0;
};

class ModelRun {
 public:
  ModelRun(std::uint64_t seed, ChainOptions options, testing::StoreKind store)
      : rng_(seed), h_(testing::test_spec(), options, store) {
    for (int i = 0; i < kKeys; ++i) key_index_[test_key(i).public_key()] = i;
    const Block genesis = h_.spec.genesis_block();
    Node g;
    g.block = genesis;
    g.hash = genesis.hash();
    for (const auto& a : h_.spec.accounts) g.state[a.address] = Account{a.balance, 0};
    g.work = work_from_compact(genesis.header.bits);
    g.seen = next_seen_++;
    nodes_.emplace(g.hash, std::move(g));
  }

  void run() {
    while ((blocks_ < kMinBlocks || reorgs_ < kMinReorgs) && blocks_ < kMaxBlocks) {
      const std::uint32_t height = h_.chain->height();
      const int roll = uniform(0, 99);
      if (roll < 45 || height < 2) {
        extend(h_.chain->tip().hash, 1);
      } else if (roll < 80) {
        takeover_fork(static_cast<std::uint32_t>(uniform(1, static_cast<int>(std::min<std::uint32_t>(5, height)))));
      } else if (roll < 90) {
        stale_fork(static_cast<std::uint32_t>(uniform(1, static_cast<int>(std::min<std::uint32_t>(5, height)))));
      } else {
        revive_stale_branch();
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
    EXPECT_GE(blocks_, kMinBlocks);
    EXPECT_GE(reorgs_, kMinReorgs);
    std::cout << "[ model    ] " << blocks_ << " blocks, " << reorgs_ << " reorgs (deepest " << deepest_reorg_
              << "), " << orphans_ << " orphans, " << reincluded_ << " re-included and " << conflicts_
              << " conflicting transactions, final height " << h_.chain->height() << "\n";
  }

 private:
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return uniform(0, 99) < percent; }
  const Node& tip_node() const { return nodes_.at(h_.chain->tip().hash); }

  std::uint32_t expected_bits(const Node& parent) const {
    if (parent.block.header.height == 0) return h_.spec.genesis_bits;
    return asert_next_bits(h_.spec.asert_params(parent.block1_time), parent.block.header.height,
                           parent.block.header.time);
  }

  // A random transfer that is valid against `s`, or nullopt when the chosen sender is broke.
  std::optional<Transaction> random_transfer(const Model& s) {
    const int from = uniform(0, kKeys - 1);
    const Account sender = model_get(s, test_address(from));
    const Amount fee = h_.spec.min_fee + static_cast<Amount>(uniform(0, 20));
    if (sender.balance < fee) return std::nullopt;
    const Amount spendable = sender.balance - fee;
    Amount amount;
    if (chance(5)) {
      amount = spendable;  // drain the account
    } else {
      amount = std::uniform_int_distribution<Amount>(0, std::min<Amount>(spendable, 5'000'000))(rng_);
    }
    const int to = chance(10) ? from : uniform(0, kKeys - 1);
    return transfer(from, to, amount, fee, sender.nonce);
  }

  // Like make_transfer, but the signature's auxiliary randomness comes from the seed too, so
  // txids, block hashes and with them the whole run repeat under the same TALLY_SEED.
  Transaction transfer(int from, int to, Amount amount, Amount fee, std::uint64_t nonce) {
    Transaction tx;
    tx.chain_id = h_.spec.chain_id;
    tx.sender = test_key(from).public_key();
    tx.recipient = test_address(to);
    tx.amount = amount;
    tx.fee = fee;
    tx.nonce = nonce;
    std::array<std::uint8_t, 32> aux;
    for (auto& byte : aux) byte = static_cast<std::uint8_t>(rng_());
    tx.signature = test_key(from).sign(tx.signature_hash().span(), aux);
    return tx;
  }

  // Builds (does not deliver) a valid child of `parent_hash`; `forced` transactions go first
  // when they are valid there.
  const Node& build_child(const BlockHash& parent_hash, const std::vector<Transaction>& forced = {}) {
    const Node& parent = nodes_.at(parent_hash);
    Block b;
    b.header.version = 1;
    b.header.height = parent.block.header.height + 1;
    b.header.prev_hash = parent.hash;
    b.header.bits = expected_bits(parent);
    b.header.time = parent.block.header.time +
                    static_cast<std::uint32_t>(uniform(1, static_cast<int>(2 * h_.spec.block_interval_s - 1)));
    Model s = parent.state;
    std::vector<Transaction> txs;
    auto take = [&](const Transaction& tx) {
      model_transfer(s, tx);
      txs.push_back(tx);
    };
    for (const Transaction& tx : forced) {
      if (model_accepts(s, tx)) take(tx);
    }
    if (chance(30)) {
      // Transactions first made for other branches, where they still fit.
      int reused = 0;
      for (std::size_t i = 0; i < pool_.size() && reused < 3; ++i) {
        const Transaction& tx = pool_[(pool_start_ + i) % pool_.size()];
        if (model_accepts(s, tx)) {
          take(tx);
          ++reused;
          ++reincluded_;
        }
      }
      pool_start_ = pool_.empty() ? 0 : static_cast<std::size_t>(uniform(0, static_cast<int>(pool_.size()) - 1));
    }
    for (int n = uniform(0, 5); n > 0; --n) {
      if (auto tx = random_transfer(s)) {
        take(*tx);
        remember(*tx);
      }
    }
    Amount fees = 0;
    for (const Transaction& tx : txs) fees += tx.fee;
    const int miner = uniform(0, kKeys - 1);
    b.txs.push_back(make_coinbase(h_.spec.chain_id, b.header.height, test_address(miner), h_.spec.subsidy + fees));
    s[test_address(miner)].balance += h_.spec.subsidy + fees;
    b.txs.insert(b.txs.end(), txs.begin(), txs.end());
    b.header.tx_root = b.compute_tx_root();
    b.header.state_root = model_state_hash(s);
    mine(b, h_.spec);
    while (nodes_.contains(b.hash())) {  // an identical sibling: move the time
      ++b.header.time;
      b.header.nonce = 0;
      mine(b, h_.spec);
    }

    Node n;
    n.hash = b.hash();
    n.work = parent.work + work_from_compact(b.header.bits);
    n.block1_time = b.header.height == 1 ? b.header.time : parent.block1_time;
    n.block = std::move(b);
    n.state = std::move(s);
    nodes_.at(parent_hash).children++;
    ++blocks_;
    const BlockHash hash = n.hash;
    return nodes_.emplace(hash, std::move(n)).first->second;
  }

  void remember(const Transaction& tx) {
    if (pool_.size() < kPoolSize) {
      pool_.push_back(tx);
    } else {
      pool_[static_cast<std::size_t>(uniform(0, static_cast<int>(kPoolSize) - 1))] = tx;
    }
  }

  // Builds `count` blocks on `base` and delivers them.
  void extend(const BlockHash& base, int count, const std::vector<Transaction>& forced = {}) {
    std::vector<BlockHash> branch;
    BlockHash parent = base;
    for (int i = 0; i < count; ++i) {
      parent = build_child(parent, i == 0 ? forced : std::vector<Transaction>{}).hash;
      branch.push_back(parent);
    }
    deliver(branch);
  }

  // Builds on `base` until the branch has more work than the tip, and delivers it.
  void extend_until_heavier(const BlockHash& base, const std::vector<Transaction>& forced = {}) {
    const Uint256 tip_work = tip_node().work;
    std::vector<BlockHash> branch;
    BlockHash parent = base;
    for (int i = 0; i < 32 && (branch.empty() || nodes_.at(parent).work <= tip_work); ++i) {
      parent = build_child(parent, i == 0 ? forced : std::vector<Transaction>{}).hash;
      branch.push_back(parent);
    }
    if (chance(30)) branch.push_back(build_child(parent).hash);
    deliver(branch);
  }

  // A branch from `depth` blocks below the tip that takes over, sometimes spending a nonce
  // that the replaced blocks spent differently.
  void takeover_fork(std::uint32_t depth) {
    const std::uint32_t base_height = h_.chain->height() - depth;
    const BlockHash base = h_.chain->at_height(base_height)->hash;
    std::vector<Transaction> forced;
    if (chance(50)) {
      std::vector<Transaction> replaced;
      for (std::uint32_t ht = base_height + 1; ht <= h_.chain->height(); ++ht) {
        const Node& n = nodes_.at(h_.chain->at_height(ht)->hash);
        replaced.insert(replaced.end(), n.block.txs.begin() + 1, n.block.txs.end());
      }
      const Model& base_state = nodes_.at(base).state;
      for (const Transaction& tx : replaced) {
        const int from = key_index_.at(tx.sender);
        const Account s = model_get(base_state, test_address(from));
        if (s.nonce != tx.nonce || s.balance < tx.fee + 7) continue;
        // Same sender and nonce, another recipient and amount.
        forced.push_back(transfer(from, (from + 1) % kKeys, std::min<Amount>(s.balance - tx.fee, 7 + tx.amount / 2),
                                  tx.fee, tx.nonce));
        ++conflicts_;
        break;
      }
    }
    extend_until_heavier(base, forced);
  }

  // A branch from `depth` blocks below the tip no longer than what it forks from (it stays
  // stale unless its blocks happen to carry more work).
  void stale_fork(std::uint32_t depth) {
    const BlockHash base = h_.chain->at_height(h_.chain->height() - depth)->hash;
    extend(base, uniform(1, static_cast<int>(depth)));
  }

  // Extends the tip of a stale branch that forks at most 8 blocks below the tip until it
  // takes over: its blocks (some connected before, then disconnected) are connected again.
  void revive_stale_branch() {
    std::vector<BlockHash> candidates;
    const std::uint32_t height = h_.chain->height();
    for (const auto& [hash, n] : nodes_) {
      if (n.children != 0 || n.seen == kUnseen || h_.chain->is_active(*h_.chain->find(hash))) continue;
      const Node* x = &n;
      while (!h_.chain->is_active(*h_.chain->find(x->hash))) x = &nodes_.at(x->block.header.prev_hash);
      if (height - x->block.header.height <= 8) candidates.push_back(hash);
    }
    if (candidates.empty()) return extend(h_.chain->tip().hash, 1);
    std::sort(candidates.begin(), candidates.end());  // unordered_map order is not the seed's
    extend_until_heavier(candidates[static_cast<std::size_t>(uniform(0, static_cast<int>(candidates.size()) - 1))]);
  }

  // Delivers a branch (parent first) to the chain, in order or shuffled, checking after
  // every accept.
  void deliver(std::vector<BlockHash> branch) {
    if (branch.size() > 1 && chance(25)) std::shuffle(branch.begin(), branch.end(), rng_);
    for (const BlockHash& hash : branch) {
      const Node& n = nodes_.at(hash);
      const bool parent_known = nodes_.at(n.block.header.prev_hash).seen != kUnseen;
      auto r = h_.chain->accept_block(n.block, kNow);
      ASSERT_TRUE(r.has_value()) << "height " << n.block.header.height << ": " << r.error().message;
      ASSERT_EQ(r->status, parent_known ? AcceptStatus::kAccepted : AcceptStatus::kOrphan);
      ASSERT_TRUE(r->update.invalidated.empty());
      if (parent_known) {
        attach(hash);
      } else {
        pending_.push_back(hash);
        ++orphans_;
      }
      if (r->update.reorg_depth() > 0) {
        ++reorgs_;
        deepest_reorg_ = std::max(deepest_reorg_, r->update.reorg_depth());
      }
      check(r->update);
      if (::testing::Test::HasFatalFailure()) return;
    }
    ASSERT_TRUE(pending_.empty());
    ASSERT_EQ(h_.chain->orphan_count(), 0u);
  }

  // `hash` joined the chain's tree, and with it any held orphans that descend from it.
  void attach(BlockHash hash) {
    for (;;) {
      nodes_.at(hash).seen = next_seen_++;
      auto child = std::find_if(pending_.begin(), pending_.end(),
                                [&](const BlockHash& p) { return nodes_.at(p).block.header.prev_hash == hash; });
      if (child == pending_.end()) return;
      hash = *child;
      pending_.erase(child);
    }
  }

  void check(const ChainUpdate& update) {
    // Chain selection: most work, first seen among equals (every block here is valid).
    const Node* best = nullptr;
    for (const auto& [hash, n] : nodes_) {
      if (n.seen == kUnseen) continue;
      if (!best || n.work > best->work || (n.work == best->work && n.seen < best->seen)) best = &n;
    }
    ASSERT_EQ(h_.chain->tip().hash, best->hash) << "tip is not the most-work block seen first";
    ASSERT_EQ(h_.chain->height(), best->block.header.height);

    // Replay the active chain from genesis by hand.
    Model m;
    for (const auto& a : h_.spec.accounts) m[a.address] = Account{a.balance, 0};
    std::unordered_map<TxId, TxLocation> active_txs;
    for (std::uint32_t height = 1; height <= h_.chain->height(); ++height) {
      const BlockEntry* e = h_.chain->at_height(height);
      ASSERT_NE(e, nullptr);
      auto stored = h_.chain->read_block(e->hash);
      ASSERT_TRUE(stored.has_value() && stored->has_value()) << "block at height " << height;
      const Block& block = **stored;
      ASSERT_EQ(block.hash(), e->hash);
      ASSERT_EQ(block.header.prev_hash, h_.chain->at_height(height - 1)->hash);
      Amount fees = 0;
      for (std::size_t i = 1; i < block.txs.size(); ++i) {
        const Transaction& tx = block.txs[i];
        ASSERT_TRUE(model_accepts(m, tx)) << "height " << height << " transaction " << i;
        model_transfer(m, tx);
        fees += tx.fee;
        active_txs[tx.txid()] = TxLocation{e->hash, static_cast<std::uint32_t>(i)};
      }
      const Transaction& coinbase = block.txs[0];
      ASSERT_EQ(coinbase.amount, h_.spec.subsidy + fees) << "height " << height;
      m[coinbase.recipient].balance += coinbase.amount;
      active_txs[coinbase.txid()] = TxLocation{e->hash, 0};
    }
    ASSERT_TRUE(same_accounts(m, best->state)) << "the test's own bookkeeping disagrees with the replay";

    for (int i = 0; i < kKeys; ++i) {
      auto a = h_.chain->account(test_address(i));
      ASSERT_TRUE(a.has_value()) << a.error().message;
      ASSERT_EQ(a->balance, model_get(m, test_address(i)).balance) << "key " << i;
      ASSERT_EQ(a->nonce, model_get(m, test_address(i)).nonce) << "key " << i;
    }
    for (const auto& [address, account] : m) {
      ASSERT_EQ(*h_.chain->account(address), account);
    }
    ASSERT_EQ(h_.chain->state_hash(), model_state_hash(m));

    // The transaction index follows the active chain.
    for (const auto& block : update.connected_blocks) {
      if (!h_.chain->is_active(*h_.chain->find(block->hash()))) continue;  // connected, then replaced
      for (const Transaction& tx : block->txs) {
        auto loc = h_.chain->find_transaction(tx.txid());
        ASSERT_TRUE(loc.has_value() && loc->has_value());
        const TxLocation& want = active_txs.at(tx.txid());
        EXPECT_EQ((*loc)->block, want.block);
        EXPECT_EQ((*loc)->position, want.position);
      }
    }
    for (const Transaction& tx : update.disconnected_txs) {
      auto loc = h_.chain->find_transaction(tx.txid());
      ASSERT_TRUE(loc.has_value());
      EXPECT_EQ(loc->has_value(), active_txs.contains(tx.txid())) << "index of a disconnected transaction";
    }
  }

  static constexpr std::int64_t kNow = testing::kGenesisTime + 10'000'000;

  std::mt19937_64 rng_;
  ChainHarness h_;
  std::map<PublicKey, int> key_index_;
  std::unordered_map<BlockHash, Node> nodes_;
  std::vector<BlockHash> pending_;  // delivered while their parent was not: held as orphans
  std::vector<Transaction> pool_;
  std::size_t pool_start_ = 0;
  std::uint64_t next_seen_ = 0;
  std::size_t blocks_ = 0;
  std::size_t reorgs_ = 0;
  std::size_t deepest_reorg_ = 0;
  std::size_t orphans_ = 0;
  std::size_t reincluded_ = 0;
  std::size_t conflicts_ = 0;
};

void run_model(ChainOptions options, testing::StoreKind store) {
  const std::uint64_t seed = run_seed();
  SCOPED_TRACE("TALLY_SEED=" + std::to_string(seed));
  const auto start = std::chrono::steady_clock::now();
  ModelRun run(seed, options, store);
  run.run();
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ model    ] TALLY_SEED=" << seed << " on " << testing::store_kind_name(store) << " in " << elapsed_ms
            << " ms\n";
}

TEST(ChainModel, RandomBranchesMatchTheReferenceModel) { run_model(ChainOptions{}, testing::StoreKind::kRocksDb); }

// What the simulator runs: a MemoryStore, and signatures checked inline on the chain's thread.
TEST(ChainModel, RandomBranchesMatchTheReferenceModelInMemoryInline) {
  InlineExecutor executor;
  run_model(ChainOptions{.executor = &executor}, testing::StoreKind::kMemory);
}

}  // namespace
}  // namespace tally::ledger
