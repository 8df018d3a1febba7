// Crash safety of the chain's store: a child process connects blocks on a shared datadir
// and is killed with SIGKILL at a random moment, over and over. After each kill the parent
// reopens the datadir and checks that it opens (Chain::open checks the stored state lanes
// against the tip's commitment), that the stored state, undo data and indexes are exactly
// what an independent replay of the active chain from genesis gives, that the best stored
// branch is active and the tip never moves back, and that the chain goes on from there.
//
// The child is a fork() of the test process, taken while the parent has no store open and
// runs no thread of its own (RocksDB's idle background threads, if an earlier test started
// them, do not come along: fine, since a child never lives long enough to need a flush or a
// compaction). It runs no gtest code and reports trouble only through _exit codes, which
// the parent checks, and a byte on a pipe once its chain is open, so that most kills land
// while it connects blocks even on a loaded machine.
// Everything random derives from one seed: TALLY_SEED=<seed> reproduces a run's choices
// (not its kill timing, which is the point of the test).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "support/seed.h"
#include "chain_fixture.h"
#include "crypto/hex.h"
#include "ledger/block_rules.h"
#include "ledger/chain.h"
#include "ledger/chain_records.h"
#include "ledger/rocksdb_store.h"

namespace tally::ledger {
namespace {

using testing::test_key;
using testing::test_spec;

constexpr int kAddresses = 12;  // test keys 0..7 are funded at genesis, 8..11 start empty
constexpr int kMaxTransfersPerBlock = 6;
constexpr std::uint32_t kMaxForkDepth = 6;  // reorg variant: reorgs of up to 5 blocks

std::uint64_t run_seed() {
  const auto seed = support::test_seed();  // TALLY_SEED, else random
  if (!seed) throw std::runtime_error(seed.error());
  return seed->value;
}

using Accounts = std::map<Address, Account>;

struct Keys {
  std::vector<crypto::SecretKey> secret;
  std::vector<Address> address;
  Keys() {
    for (int i = 0; i < kAddresses; ++i) {
      secret.push_back(test_key(i));
      address.push_back(crypto::address_of(secret.back().public_key()));
    }
  }
};

// ---------------------------------------------------------------------------------------
// The child. No gtest, no exceptions out: every failure is an _exit code.

enum ChildExit : int {
  kExitStoreOpen = 10,
  kExitChainOpen = 11,
  kExitRead = 12,
  kExitAssemble = 13,
  kExitAccept = 14,
  kExitWrongTip = 15,
  kExitException = 16,
  kExitBuild = 17,
  kExitRanTooLong = 18,
  kExitReady = 19,
};

const char* describe_exit(int code) {
  switch (code) {
    case kExitStoreOpen: return "RocksDbStore::open failed";
    case kExitChainOpen: return "Chain::open failed";
    case kExitRead: return "reading an account failed";
    case kExitAssemble: return "assemble_block failed";
    case kExitAccept: return "accept_block failed";
    case kExitWrongTip: return "the tip is not the block just connected";
    case kExitException: return "an exception escaped";
    case kExitBuild: return "building a branch block failed";
    case kExitRanTooLong: return "the child was never killed";
    case kExitReady: return "writing to the ready pipe failed";
  }
  return "unknown exit code";
}

// Up to kMaxTransfersPerBlock random transfers valid in sequence against `state`, which
// they update (without the coinbase).
std::vector<Transaction> random_transfers(Accounts& state, const Keys& keys, const ChainSpec& spec,
                                          std::mt19937_64& rng) {
  std::vector<Transaction> txs;
  const int n = static_cast<int>(rng() % (kMaxTransfersPerBlock + 1));
  for (int k = 0; k < n; ++k) {
    const auto from = static_cast<std::size_t>(rng() % kAddresses);
    const auto to = static_cast<std::size_t>(rng() % kAddresses);
    Account& sender = state[keys.address[from]];
    const Amount fee = spec.min_fee + rng() % 20;
    const Amount amount = 1 + rng() % 5000;
    if (sender.balance < amount + fee) continue;
    txs.push_back(make_transfer(keys.secret[from], spec.chain_id, keys.address[to], amount, fee, sender.nonce));
    sender.balance -= amount + fee;
    sender.nonce += 1;
    state[keys.address[to]].balance += amount;
  }
  return txs;
}

struct ChildContext {
  std::string path;
  ChainSpec spec;
  const Keys* keys;
  std::uint64_t seed;
  bool reorgs;
};

// Extends the active tip forever.
[[noreturn]] void run_linear(const ChildContext& ctx, Chain& chain, std::mt19937_64& rng) {
  for (std::uint64_t blocks = 0; blocks < 1'000'000; ++blocks) {
    Accounts state;
    for (const Address& a : ctx.keys->address) {
      auto acc = chain.account(a);
      if (!acc) _exit(kExitRead);
      state[a] = *acc;
    }
    auto txs = random_transfers(state, *ctx.keys, ctx.spec, rng);
    const std::int64_t t = static_cast<std::int64_t>(chain.tip().header.time) + ctx.spec.block_interval_s;
    const auto miner = ctx.keys->address[rng() % kAddresses];
    auto block = assemble_block(chain, std::move(txs), miner, t);
    if (!block) _exit(kExitAssemble);
    testing::mine(*block, ctx.spec);
    auto r = chain.accept_block(*block, t + 3600);
    if (!r) _exit(kExitAccept);
    if (chain.tip().hash != block->hash()) _exit(kExitWrongTip);
  }
  _exit(kExitRanTooLong);
}

// One branch of the reorg variant: its tip and the state after it.
struct Branch {
  BlockHash tip;
  Accounts state;
};

crypto::Hash256 state_root_of(const Accounts& state) {
  StateHash h;
  for (const auto& [address, account] : state)
    if (!account.empty()) h.add(address, account);
  return h.digest();
}

// A valid child of `branch.tip` (any branch, not only the active one), and its state.
// Branch 0 pays even-numbered miners, branch 1 odd ones, so that two blocks on the same
// parent always differ (two empty blocks paying the same miner would be the same block).
std::optional<Branch> build_on(const Chain& chain, const Branch& branch, int branch_number,
                               const ChildContext& ctx, std::mt19937_64& rng, Block& out) {
  const BlockEntry* parent = chain.find(branch.tip);
  if (parent == nullptr) return std::nullopt;
  Accounts state = branch.state;
  auto txs = random_transfers(state, *ctx.keys, ctx.spec, rng);
  Amount fees = 0;
  for (const Transaction& tx : txs) fees += tx.fee;
  Block b;
  b.header.version = 1;
  b.header.height = parent->height() + 1;
  b.header.prev_hash = parent->hash;
  b.header.bits = chain.next_bits(*parent);
  b.header.time = parent->header.time + static_cast<std::uint32_t>(ctx.spec.block_interval_s);
  const Address miner = ctx.keys->address[2 * (rng() % (kAddresses / 2)) + static_cast<std::size_t>(branch_number)];
  b.txs.push_back(make_coinbase(ctx.spec.chain_id, b.header.height, miner, ctx.spec.subsidy + fees));
  for (Transaction& tx : txs) b.txs.push_back(std::move(tx));
  state[miner].balance += ctx.spec.subsidy + fees;
  b.header.tx_root = b.compute_tx_root();
  b.header.state_root = state_root_of(state);
  testing::mine(b, ctx.spec);
  out = std::move(b);
  return Branch{out.hash(), std::move(state)};
}

// Two branches from a common fork point; each step extends the one that is not active, so
// every other step is a reorg one block deeper than the last. Past kMaxForkDepth both
// branches restart from the active tip.
[[noreturn]] void run_reorgs(const ChildContext& ctx, Chain& chain, std::mt19937_64& rng) {
  Branch a{chain.tip().hash, {}};
  for (const Address& addr : ctx.keys->address) {
    auto acc = chain.account(addr);
    if (!acc) _exit(kExitRead);
    a.state[addr] = *acc;
  }
  Branch b = a;
  std::uint32_t fork_height = chain.height();
  for (std::uint64_t blocks = 0; blocks < 1'000'000; ++blocks) {
    const BlockHash active = chain.tip().hash;
    if (chain.height() - fork_height >= kMaxForkDepth) {
      Branch& winner = a.tip == active ? a : b;
      a = b = winner;
      fork_height = chain.height();
    }
    const bool grow_a = a.tip != active;
    Branch& grow = grow_a ? a : b;
    Block block;
    auto next = build_on(chain, grow, grow_a ? 0 : 1, ctx, rng, block);
    if (!next) _exit(kExitBuild);
    auto r = chain.accept_block(block, static_cast<std::int64_t>(block.header.time) + 3600);
    if (!r) _exit(kExitAccept);
    grow = std::move(*next);
    // The grown branch is active exactly when it is now the longer one.
    const BlockEntry* grown = chain.find(grow.tip);
    const BlockEntry* other = chain.find(grow_a ? b.tip : a.tip);
    if (grown == nullptr || other == nullptr || r->status != AcceptStatus::kAccepted) _exit(kExitAccept);
    if ((grown->height() > other->height()) != (chain.tip().hash == grow.tip)) _exit(kExitWrongTip);
  }
  _exit(kExitRanTooLong);
}

// Writes one byte to `ready_fd` once the chain is open, then connects blocks until killed.
[[noreturn]] void child_main(const ChildContext& ctx, int ready_fd) {
  try {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a parent that died mid-test
    std::mt19937_64 rng(ctx.seed);
    auto store = RocksDbStore::open(ctx.path, RocksDbOptions{});
    if (!store) _exit(kExitStoreOpen);
    auto chain = Chain::open(ctx.spec, **store, ChainOptions{});
    if (!chain) _exit(kExitChainOpen);
    const char byte = 1;
    if (::write(ready_fd, &byte, 1) != 1) _exit(kExitReady);
    ::close(ready_fd);
    if (ctx.reorgs) run_reorgs(ctx, **chain, rng);
    run_linear(ctx, **chain, rng);
  } catch (...) {
    _exit(kExitException);
  }
}

// A forked child that is killed and reaped however the parent's test body ends.
class Child {
 public:
  explicit Child(const ChildContext& ctx) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    std::cout.flush();
    std::cerr.flush();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(fds[0]);
      child_main(ctx, fds[1]);
    }
    ::close(fds[1]);
    ready_fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) (void)kill_and_wait();
    if (ready_fd_ >= 0) ::close(ready_fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  bool started() const { return pid_ > 0; }
  // True once the child has opened the chain (false on timeout or when it died first).
  bool wait_ready(int timeout_ms) {
    pollfd p{ready_fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return false;
    char byte = 0;
    return ::read(ready_fd_, &byte, 1) == 1;
  }
  // SIGKILL, then wait for it; returns the wait status.
  int kill_and_wait() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int ready_fd_ = -1;
  bool reaped_ = false;
};

// ---------------------------------------------------------------------------------------
// The parent's checks.

std::string show(const Account& a) {
  return "{balance " + std::to_string(a.balance) + ", nonce " + std::to_string(a.nonce) + "}";
}

std::string as_string(ByteSpan b) { return std::string(b.begin(), b.end()); }

// What the store must hold for the active chain, replayed by hand from genesis.
struct Replay {
  Accounts accounts;
  std::map<TxId, TxLocation> tx_index;
  std::set<std::string> history_keys;  // address history keys, as strings
  std::set<BlockHash> undo_blocks;
};

void replay_active_chain(const Chain& chain, const ChainSpec& spec, Replay& out) {
  for (const auto& a : spec.accounts) out.accounts[a.address] = Account{a.balance, 0};
  for (std::uint32_t h = 1; h <= chain.height(); ++h) {
    const BlockEntry* e = chain.at_height(h);
    ASSERT_NE(e, nullptr);
    auto block = chain.read_block(e->hash);
    ASSERT_TRUE(block) << "height " << h << ": " << block.error().message;
    ASSERT_TRUE(block->has_value()) << "active block data missing at height " << h;
    const Block& b = **block;
    ASSERT_EQ(b.hash(), e->hash);
    ASSERT_EQ(b.header.prev_hash, chain.at_height(h - 1)->hash);
    ASSERT_FALSE(b.txs.empty());
    Amount fees = 0;
    for (std::uint32_t i = 1; i < b.txs.size(); ++i) {
      const Transaction& tx = b.txs[i];
      const Address from = crypto::address_of(tx.sender);
      Account& sender = out.accounts[from];
      ASSERT_EQ(tx.nonce, sender.nonce) << "height " << h << " tx " << i;
      ASSERT_GE(sender.balance, tx.amount + tx.fee) << "height " << h << " tx " << i;
      sender.balance -= tx.amount + tx.fee;
      sender.nonce += 1;
      out.accounts[tx.recipient].balance += tx.amount;
      fees += tx.fee;
      out.history_keys.insert(as_string(address_history_key(from, h, i)));
    }
    const Transaction& coinbase = b.txs[0];
    ASSERT_TRUE(coinbase.is_coinbase());
    ASSERT_EQ(coinbase.amount, spec.subsidy + fees) << "height " << h;
    out.accounts[coinbase.recipient].balance += coinbase.amount;
    for (std::uint32_t i = 0; i < b.txs.size(); ++i) {
      out.tx_index[b.txs[i].txid()] = TxLocation{e->hash, i};
      out.history_keys.insert(as_string(address_history_key(b.txs[i].recipient, h, i)));
    }
    out.undo_blocks.insert(e->hash);
  }
  std::erase_if(out.accounts, [](const auto& kv) { return kv.second.empty(); });
}

struct Progress {
  std::uint32_t height = 0;
  Uint256 work{0};
};

// Reopens the datadir, checks it against a replay, connects one more block, and closes it.
void check_and_extend(const std::string& path, const ChainSpec& spec, const Keys& keys, Progress& progress,
                      std::mt19937_64& rng) {
  auto store = RocksDbStore::open(path, RocksDbOptions{});
  ASSERT_TRUE(store) << store.error().message;
  auto opened = Chain::open(spec, **store, ChainOptions{});
  ASSERT_TRUE(opened) << "Chain::open after a kill: " << opened.error().message;
  Chain& chain = **opened;

  // Open activated the best stored branch, and the tip never moved back.
  const BlockEntry& tip = chain.tip();
  ASSERT_GE(chain.height(), progress.height) << "the tip went backwards";
  ASSERT_FALSE(tip.chain_work < progress.work) << "the tip lost work";
  for (const BlockEntry* leaf : chain.tips()) {
    EXPECT_FALSE(leaf->failed()) << "a valid block was marked invalid at height " << leaf->height();
    if (leaf->chain_has_data) {
      EXPECT_FALSE(tip.chain_work < leaf->chain_work) << "a better branch is not active";
    }
  }

  // The state commitment, the stored state and the per-account reads equal the replay.
  ASSERT_EQ(tip.header.state_root, chain.state_hash());
  Replay replay;
  replay_active_chain(chain, spec, replay);
  if (::testing::Test::HasFatalFailure()) return;
  StateHash lanes;
  for (const auto& [address, account] : replay.accounts) lanes.add(address, account);
  ASSERT_EQ(lanes.digest(), chain.state_hash()) << "replayed state differs from the tip's commitment";
  for (const Address& a : keys.address) {
    auto acc = chain.account(a);
    ASSERT_TRUE(acc) << acc.error().message;
    const auto it = replay.accounts.find(a);
    const Account want = it == replay.accounts.end() ? Account{} : it->second;
    EXPECT_TRUE(*acc == want) << crypto::to_hex(a) << ": stored " << show(*acc) << ", replayed " << show(want);
  }
  Accounts stored;
  auto scan = (*store)->for_each(Column::kState, [&](ByteSpan key, ByteSpan value) {
    auto acc = decode_account(value);
    EXPECT_TRUE(acc && key.size() == Address::kSize) << "damaged state record";
    if (acc && key.size() == Address::kSize) stored[Address::from_span(key)] = *acc;
    return true;
  });
  ASSERT_TRUE(scan);
  EXPECT_TRUE(stored == replay.accounts) << "the stored state has records of a half-applied block ("
                                         << stored.size() << " records, replay has " << replay.accounts.size() << ")";

  // Undo data and indexes hold exactly the active blocks' records: nothing left over from
  // a disconnect that was cut short, nothing missing from a connect.
  std::set<BlockHash> undo;
  ASSERT_TRUE((*store)->for_each(Column::kUndo, [&](ByteSpan key, ByteSpan) {
    undo.insert(BlockHash::from_span(key));
    return true;
  }));
  EXPECT_EQ(undo, replay.undo_blocks);
  std::map<TxId, TxLocation> tx_index;
  ASSERT_TRUE((*store)->for_each(Column::kTxIndex, [&](ByteSpan key, ByteSpan value) {
    auto loc = decode_tx_location(value);
    EXPECT_TRUE(loc.has_value());
    if (loc) tx_index[TxId::from_span(key)] = *loc;
    return true;
  }));
  EXPECT_EQ(tx_index.size(), replay.tx_index.size());
  for (const auto& [txid, loc] : replay.tx_index) {
    auto it = tx_index.find(txid);
    ASSERT_NE(it, tx_index.end()) << "transaction missing from the index";
    EXPECT_EQ(it->second.block, loc.block);
    EXPECT_EQ(it->second.position, loc.position);
  }
  std::set<std::string> history;
  ASSERT_TRUE((*store)->for_each(Column::kAddressHistory, [&](ByteSpan key, ByteSpan) {
    history.insert(as_string(key));
    return true;
  }));
  EXPECT_EQ(history, replay.history_keys);

  // Syncing continues from the stored tip: connect one more block here.
  Accounts state = replay.accounts;
  auto txs = random_transfers(state, keys, spec, rng);
  const std::int64_t t = static_cast<std::int64_t>(tip.header.time) + spec.block_interval_s;
  auto block = assemble_block(chain, std::move(txs), keys.address[rng() % kAddresses], t);
  ASSERT_TRUE(block) << block.error().message();
  testing::mine(*block, spec);
  auto r = chain.accept_block(*block, t + 3600);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(chain.tip().hash, block->hash());
  progress.height = chain.height();
  progress.work = chain.tip().chain_work;
}

struct RunStats {
  int kills = 0;
  int kills_while_opening = 0;  // aimed at RocksDB recovery and Chain::open
  int kills_while_connecting = 0;
  std::uint32_t final_height = 0;
  std::uint32_t height_by_children = 0;
};

// Every fifth kill lands 0..15 ms after fork (while the child opens the datadir, replays
// its log, loads the block index); the others 5..60 ms after the child reports the chain
// open, so a loaded machine cannot turn them all into kills during start-up.
void run_kill_loop(bool reorgs, int kills, RunStats& stats) {
  const std::uint64_t seed = run_seed();
  SCOPED_TRACE("TALLY_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const ChainSpec spec = test_spec();
  const Keys keys;
  testing::TempDir dir;
  const std::string path = (dir.path() / "chain").string();
  Progress progress;
  for (int k = 0; k < kills; ++k) {
    SCOPED_TRACE("kill " + std::to_string(k));
    const ChildContext ctx{path, spec, &keys, rng(), reorgs};
    const bool while_opening = rng() % 5 == 0;
    const auto sleep_ms = std::chrono::milliseconds(while_opening ? rng() % 16 : 5 + rng() % 56);
    int status = 0;
    {
      Child child(ctx);
      ASSERT_TRUE(child.started()) << "fork failed";
      if (!while_opening) {
        EXPECT_TRUE(child.wait_ready(20'000)) << "the child did not open the chain";
      }
      std::this_thread::sleep_for(sleep_ms);
      status = child.kill_and_wait();
    }
    ++stats.kills;
    ++(while_opening ? stats.kills_while_opening : stats.kills_while_connecting);
    if (WIFEXITED(status))
      FAIL() << "the child exited by itself with code " << WEXITSTATUS(status) << ": "
             << describe_exit(WEXITSTATUS(status));
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "wait status " << status;
    const std::uint32_t before = progress.height;
    check_and_extend(path, spec, keys, progress, rng);
    if (::testing::Test::HasFatalFailure()) return;
    stats.height_by_children += progress.height - before - 1;  // the parent added one
  }
  stats.final_height = progress.height;
}

void print(const RunStats& stats) {
  std::cout << "[ crash    ] " << stats.kills << " kills (" << stats.kills_while_opening << " while opening, "
            << stats.kills_while_connecting << " while connecting), final height " << stats.final_height << ", "
            << stats.height_by_children << " of it gained by children\n";
}

TEST(CrashSafety, KilledWhileConnectingBlocks) {
  RunStats stats;
  run_kill_loop(/*reorgs=*/false, 25, stats);
  EXPECT_GE(stats.kills, 20);
  EXPECT_GE(stats.final_height, 25u);
  print(stats);
}

TEST(CrashSafety, KilledWhileReorganizing) {
  RunStats stats;
  run_kill_loop(/*reorgs=*/true, 22, stats);
  EXPECT_GE(stats.kills, 20);
  EXPECT_GE(stats.final_height, 22u);
  print(stats);
}

}  // namespace
}  // namespace tally::ledger
