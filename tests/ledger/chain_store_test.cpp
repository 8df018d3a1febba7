// The chain's persistence contract on a real RocksDB store: a restart resumes exactly where
// the chain was; a datadir of another genesis or schema is refused; damaged records are
// reported (kCorrupt / an error) and never used; indexes that are off write nothing; and
// the store refuses paths it cannot own (a regular file, a directory already open).
#include <gtest/gtest.h>

#include <fstream>

#include "chain_fixture.h"
#include "crypto/hex.h"
#include "ledger/chain.h"
#include "ledger/chain_records.h"
#include "ledger/rocksdb_store.h"

namespace tally::ledger {
namespace {

using testing::ChainHarness;
using testing::kInitialBalance;
using testing::test_address;

std::string store_path(const ChainHarness& h) { return (h.dir.path() / "chain").string(); }

// Closes the harness's chain and store, so the datadir can be changed or reopened.
void close(ChainHarness& h) {
  h.chain.reset();
  h.store.reset();
}

std::unique_ptr<RocksDbStore> open_store(const std::string& path) {
  auto s = RocksDbStore::open(path, RocksDbOptions{});
  if (!s) ADD_FAILURE() << "RocksDbStore::open: " << s.error().message;
  return s ? std::move(*s) : nullptr;
}

void put_raw(Store& store, Column c, ByteSpan key, ByteSpan value) {
  WriteBatch batch;
  batch.put(c, key, value);
  ASSERT_TRUE(store.write(batch).has_value());
}

std::size_t count_records(const Store& store, Column c) {
  std::size_t n = 0;
  auto r = store.for_each(c, [&](ByteSpan, ByteSpan) {
    ++n;
    return true;
  });
  EXPECT_TRUE(r.has_value());
  return n;
}

// Reopens the harness's datadir (store closed first) and returns Chain::open's result.
std::expected<std::unique_ptr<Chain>, ChainError> reopen(ChainHarness& h, const ChainSpec& spec,
                                                         ChainOptions options = {}) {
  close(h);
  h.store = open_store(store_path(h));
  return Chain::open(spec, *h.store, options);
}

// Three blocks with transfers between the funded keys.
void build_history(ChainHarness& h) {
  h.add(h.make_block({h.transfer(1, 2, 300, 10, 0), h.transfer(2, 5, 70, 15, 0)}, 0));
  h.add(h.make_block({h.transfer(1, 3, 200, 20, 1)}, 4));
  h.add(h.make_block({h.transfer(3, 1, 50, 10, 0), h.transfer(1, 7, 1, 10, 2)}, 0));
  ASSERT_EQ(h.chain->height(), 3u);
}

TEST(ChainStore, RestartResumesAtTheStoredTip) {
  ChainHarness h;
  build_history(h);
  const BlockHash tip = h.chain->tip().hash;
  const auto state = h.chain->state_hash();
  const std::size_t blocks = h.chain->block_count();
  const Transaction tx = h.transfer(1, 6, 42, 11, 3);
  h.add(h.make_block({tx}, 4));
  const BlockHash tip4 = h.chain->tip().hash;
  const auto state4 = h.chain->state_hash();
  auto history = h.chain->address_history(test_address(1), 0, 100);
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 5u);
  std::vector<Account> accounts;
  for (int i = 0; i < 8; ++i) accounts.push_back(h.account(i));

  auto c = reopen(h, h.spec);
  ASSERT_TRUE(c) << c.error().message;
  h.chain = std::move(*c);
  EXPECT_EQ(h.chain->height(), 4u);
  EXPECT_EQ(h.chain->tip().hash, tip4);
  EXPECT_EQ(h.chain->state_hash(), state4);
  EXPECT_EQ(h.chain->at_height(3)->hash, tip);
  EXPECT_NE(h.chain->state_hash(), state);
  EXPECT_EQ(h.chain->block_count(), blocks + 1);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(h.account(i), accounts[static_cast<std::size_t>(i)]) << "account " << i;

  auto loc = h.chain->find_transaction(tx.txid());
  ASSERT_TRUE(loc && *loc);
  EXPECT_EQ((*loc)->block, tip4);
  EXPECT_EQ((*loc)->position, 1u);
  auto history_again = h.chain->address_history(test_address(1), 0, 100);
  ASSERT_TRUE(history_again);
  EXPECT_EQ(*history_again, *history);
  auto recent = h.chain->address_history(test_address(1), 4, 100);
  ASSERT_TRUE(recent);
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ(recent->front(), tx.txid());

  // And the chain goes on from there.
  h.add(h.make_block({h.transfer(1, 2, 5, 10, 4)}, 0));
  EXPECT_EQ(h.chain->height(), 5u);
  EXPECT_EQ(h.account(1).nonce, 5u);
}

TEST(ChainStore, RestartKeepsStaleBranchesAndTheirOrder) {
  ChainHarness h;
  const Block a1 = h.make_block({h.transfer(1, 2, 100, 10, 0)}, 0);
  ChainHarness other;
  const Block b1 = other.make_block({other.transfer(1, 3, 100, 10, 0)}, 4);
  h.add(a1);
  h.add(b1);  // same work, seen later: stays stale
  ASSERT_EQ(h.chain->tip().hash, a1.hash());
  auto c = reopen(h, h.spec);
  ASSERT_TRUE(c) << c.error().message;
  h.chain = std::move(*c);
  EXPECT_EQ(h.chain->tip().hash, a1.hash()) << "first seen still wins after a restart";
  EXPECT_EQ(h.chain->tips().size(), 2u);
  ASSERT_NE(h.chain->find(b1.hash()), nullptr);
  EXPECT_FALSE(h.chain->is_active(*h.chain->find(b1.hash())));
  auto stale = h.chain->read_block(b1.hash());
  ASSERT_TRUE(stale && *stale);
  EXPECT_EQ(**stale, b1);
}

TEST(ChainStore, RefusesADatadirOfAnotherGenesis) {
  ChainHarness h;
  build_history(h);
  ChainSpec other = h.spec;
  other.chain_id = h.spec.chain_id + 1;
  ASSERT_NE(other.genesis_hash(), h.spec.genesis_hash());
  auto c = reopen(h, other);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ChainError::Kind::kWrongGenesis);
  EXPECT_NE(c.error().message.find(crypto::to_hex(h.spec.genesis_hash())), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find(crypto::to_hex(other.genesis_hash())), std::string::npos) << c.error().message;
  // Refusing wrote nothing: the right spec still opens it at its tip.
  auto again = Chain::open(h.spec, *h.store, {});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->height(), 3u);
}

TEST(ChainStore, RefusesAnotherSchemaVersion) {
  ChainHarness h;
  build_history(h);
  close(h);
  h.store = open_store(store_path(h));
  Writer w;
  w.u32(kSchemaVersion + 1);
  put_raw(*h.store, Column::kMeta, meta_key::bytes(meta_key::kSchema), w.data());
  auto c = Chain::open(h.spec, *h.store, {});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ChainError::Kind::kWrongSchema);
  EXPECT_NE(c.error().message.find(std::to_string(kSchemaVersion + 1)), std::string::npos) << c.error().message;

  // A schema record that is not even a u32 is damage, not another version.
  const std::uint8_t junk[3] = {1, 0, 0};
  put_raw(*h.store, Column::kMeta, meta_key::bytes(meta_key::kSchema), junk);
  auto d = Chain::open(h.spec, *h.store, {});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, ChainError::Kind::kCorrupt) << d.error().message;
}

TEST(ChainStore, RefusesDataWithoutASchemaMarker) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "foreign").string();
  {
    auto store = open_store(path);
    const std::uint8_t key[3] = {'a', 'b', 'c'}, value[1] = {7};
    put_raw(*store, Column::kBlockData, key, value);
    auto c = Chain::open(testing::test_spec(), *store, {});
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().kind, ChainError::Kind::kWrongSchema);
    EXPECT_FALSE(c.error().message.empty());
    // Nothing of ours was mixed into the foreign data.
    EXPECT_EQ(count_records(*store, Column::kMeta), 0u);
    EXPECT_EQ(count_records(*store, Column::kState), 0u);
    EXPECT_EQ(count_records(*store, Column::kBlockData), 1u);
  }
}

TEST(ChainStore, CorruptStateLanesFailOpen) {
  ChainHarness h;
  build_history(h);
  close(h);
  h.store = open_store(store_path(h));
  std::vector<std::uint8_t> lanes(StateHash::kLanes * 2, 0x5a);
  put_raw(*h.store, Column::kMeta, meta_key::bytes(meta_key::kStateLanes), lanes);
  auto c = Chain::open(h.spec, *h.store, {});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ChainError::Kind::kCorrupt);
  EXPECT_NE(c.error().message.find("state"), std::string::npos) << c.error().message;

  lanes.resize(17);  // wrong length
  put_raw(*h.store, Column::kMeta, meta_key::bytes(meta_key::kStateLanes), lanes);
  auto d = Chain::open(h.spec, *h.store, {});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, ChainError::Kind::kCorrupt);
}

TEST(ChainStore, CorruptAccountRecordIsReportedNotUsed) {
  ChainHarness h;
  build_history(h);
  // A valid block spending from key 1, assembled while its record was still good.
  const Block next = h.make_block({h.transfer(1, 2, 10, 10, 3)}, 0);
  const BlockHash tip = h.chain->tip().hash;
  const Bytes good = encode_account(h.account(1));
  const std::uint8_t garbage[5] = {0xde, 0xad, 0xbe, 0xef, 0x00};
  put_raw(*h.store, Column::kState, test_address(1).span(), garbage);

  auto a = h.chain->account(test_address(1));
  ASSERT_FALSE(a);
  EXPECT_TRUE(a.error().kind == ChainError::Kind::kCorrupt || a.error().kind == ChainError::Kind::kStore);
  EXPECT_NE(a.error().message.find(crypto::to_hex(test_address(1))), std::string::npos) << a.error().message;
  EXPECT_TRUE(h.chain->account(test_address(2))) << "other accounts still read";

  // Connecting the block needs the damaged record: the error is the store's, and the block
  // is not blamed for it.
  auto r = h.chain->accept_block(next, h.now());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().kind, ChainError::Kind::kInvalid) << r.error().message;
  EXPECT_EQ(h.chain->tip().hash, tip);
  ASSERT_NE(h.chain->find(next.hash()), nullptr);
  EXPECT_FALSE(h.chain->find(next.hash())->failed());
  EXPECT_FALSE(h.chain->account(test_address(1))) << "still reported, never read as empty";

  // Once the record is repaired, a restart connects the stored block.
  put_raw(*h.store, Column::kState, test_address(1).span(), good);
  auto c = reopen(h, h.spec);
  ASSERT_TRUE(c) << c.error().message;
  h.chain = std::move(*c);
  EXPECT_EQ(h.chain->tip().hash, next.hash());
  EXPECT_EQ(h.account(1).nonce, 4u);
}

TEST(ChainStore, CorruptBlockDataIsReported) {
  ChainHarness h;
  build_history(h);
  const BlockHash b1 = h.chain->at_height(1)->hash;
  const BlockHash b2 = h.chain->at_height(2)->hash;
  auto good = h.chain->read_block(b1);
  ASSERT_TRUE(good && *good);
  const Bytes encoded = (*good)->encode();

  const std::uint8_t garbage[4] = {1, 2, 3, 4};
  put_raw(*h.store, Column::kBlockData, b1.span(), garbage);
  auto r = h.chain->read_block(b1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ChainError::Kind::kCorrupt);
  EXPECT_NE(r.error().message.find(crypto::to_hex(b1)), std::string::npos) << r.error().message;

  Bytes truncated = encoded;
  truncated.pop_back();
  put_raw(*h.store, Column::kBlockData, b1.span(), truncated);
  auto t = h.chain->read_block(b1);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, ChainError::Kind::kCorrupt);

  // A well-formed block stored under another block's hash is just as damaged.
  auto second = h.chain->read_block(b2);
  ASSERT_TRUE(second && *second);
  put_raw(*h.store, Column::kBlockData, b1.span(), (*second)->encode());
  auto s = h.chain->read_block(b1);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ChainError::Kind::kCorrupt);

  // A disconnect that needs the damaged block stops with the error instead of guessing.
  ChainHarness other;
  std::vector<Block> longer;
  for (int i = 0; i < 4; ++i) {
    longer.push_back(other.make_block({}, 5));
    other.add(longer.back());
  }
  put_raw(*h.store, Column::kBlockData, b1.span(), garbage);
  for (std::size_t i = 0; i + 1 < longer.size(); ++i) h.add(longer[i]);
  ASSERT_EQ(h.chain->height(), 3u);
  auto reorg = h.chain->accept_block(longer.back(), h.now());
  ASSERT_FALSE(reorg);
  EXPECT_EQ(reorg.error().kind, ChainError::Kind::kCorrupt) << reorg.error().message;
  EXPECT_FALSE(h.chain->find(longer.back().hash())->failed()) << "the other branch is not blamed";

  put_raw(*h.store, Column::kBlockData, b1.span(), encoded);
  auto repaired = h.chain->read_block(b1);
  ASSERT_TRUE(repaired && *repaired);
  EXPECT_EQ(**repaired, **good);
}

TEST(ChainStore, DamagedBlockIndexFailsOpen) {
  ChainHarness h;
  build_history(h);
  const BlockHash b1 = h.chain->at_height(1)->hash;
  const BlockHash b2 = h.chain->at_height(2)->hash;
  close(h);
  h.store = open_store(store_path(h));
  auto rec1 = h.store->get(Column::kBlockIndex, b1.span());
  ASSERT_TRUE(rec1 && *rec1);
  auto rec2 = h.store->get(Column::kBlockIndex, b2.span());
  ASSERT_TRUE(rec2 && *rec2);

  auto expect_corrupt = [&](const char* what) {
    auto c = Chain::open(h.spec, *h.store, {});
    ASSERT_FALSE(c) << what;
    EXPECT_EQ(c.error().kind, ChainError::Kind::kCorrupt) << what << ": " << c.error().message;
    EXPECT_FALSE(c.error().message.empty());
  };
  // Bytes that do not decode.
  Bytes damaged = **rec2;
  damaged.resize(damaged.size() - 3);
  put_raw(*h.store, Column::kBlockIndex, b2.span(), damaged);
  expect_corrupt("truncated record");
  // A status bit no version writes.
  damaged = **rec2;
  damaged[BlockHeader::kSize] = 0xf0;
  put_raw(*h.store, Column::kBlockIndex, b2.span(), damaged);
  expect_corrupt("unknown status bits");
  // A well-formed record under the wrong key.
  put_raw(*h.store, Column::kBlockIndex, b2.span(), **rec1);
  expect_corrupt("record of another block");
  // A block whose parent's record is gone.
  put_raw(*h.store, Column::kBlockIndex, b2.span(), **rec2);
  {
    WriteBatch batch;
    batch.erase(Column::kBlockIndex, b1.span());
    ASSERT_TRUE(h.store->write(batch));
  }
  expect_corrupt("missing parent");
  put_raw(*h.store, Column::kBlockIndex, b1.span(), **rec1);
  // A tip record naming no known block.
  auto tip = h.store->get(Column::kMeta, meta_key::bytes(meta_key::kTip));
  ASSERT_TRUE(tip && *tip);
  Bytes bad_tip = **tip;
  bad_tip[0] ^= 1;
  put_raw(*h.store, Column::kMeta, meta_key::bytes(meta_key::kTip), bad_tip);
  expect_corrupt("unknown tip");
  put_raw(*h.store, Column::kMeta, meta_key::bytes(meta_key::kTip), **tip);

  auto c = Chain::open(h.spec, *h.store, {});
  ASSERT_TRUE(c) << "repaired: " << c.error().message;
  EXPECT_EQ((*c)->height(), 3u);
}

TEST(ChainStore, IndexesThatAreOffWriteNothing) {
  ChainHarness h(testing::test_spec(), ChainOptions{.tx_index = false, .address_index = false});
  const Transaction tx = h.transfer(1, 2, 300, 10, 0);
  h.add(h.make_block({tx}, 0));
  const Block a2 = h.make_block({h.transfer(1, 3, 30, 10, 1)}, 0);
  h.add(a2);
  // A reorg too: disconnecting must not write index records either.
  ChainHarness other;
  std::vector<Block> branch;
  for (int i = 0; i < 3; ++i) {
    branch.push_back(other.make_block({other.transfer(2, 4, 5, 10, static_cast<std::uint64_t>(i))}, 5));
    other.add(branch.back());
  }
  for (const Block& b : branch) h.add(b);
  ASSERT_EQ(h.chain->tip().hash, branch.back().hash());

  auto loc = h.chain->find_transaction(branch[0].txs[1].txid());
  ASSERT_TRUE(loc);
  EXPECT_FALSE(loc->has_value());
  auto history = h.chain->address_history(test_address(2), 0, 100);
  ASSERT_TRUE(history);
  EXPECT_TRUE(history->empty());
  EXPECT_EQ(count_records(*h.store, Column::kTxIndex), 0u);
  EXPECT_EQ(count_records(*h.store, Column::kAddressHistory), 0u);
  EXPECT_EQ(h.account(4).balance, kInitialBalance + 15);
}

TEST(ChainStore, EachIndexCanBeOffAlone) {
  {
    ChainHarness h(testing::test_spec(), ChainOptions{.tx_index = false, .address_index = true});
    const Transaction tx = h.transfer(1, 2, 300, 10, 0);
    h.add(h.make_block({tx}, 0));
    EXPECT_EQ(count_records(*h.store, Column::kTxIndex), 0u);
    EXPECT_EQ(count_records(*h.store, Column::kAddressHistory), 3u);  // coinbase, sender, recipient
    auto history = h.chain->address_history(test_address(2), 0, 10);
    ASSERT_TRUE(history);
    ASSERT_EQ(history->size(), 1u);
    EXPECT_EQ(history->front(), tx.txid());
  }
  {
    ChainHarness h(testing::test_spec(), ChainOptions{.tx_index = true, .address_index = false});
    const Transaction tx = h.transfer(1, 2, 300, 10, 0);
    h.add(h.make_block({tx}, 0));
    EXPECT_EQ(count_records(*h.store, Column::kTxIndex), 2u);
    EXPECT_EQ(count_records(*h.store, Column::kAddressHistory), 0u);
    auto loc = h.chain->find_transaction(tx.txid());
    ASSERT_TRUE(loc && *loc);
    EXPECT_EQ((*loc)->position, 1u);
  }
}

TEST(RocksDbStoreOpen, RefusesARegularFile) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "not-a-directory").string();
  std::ofstream(path) << "hello";
  auto s = RocksDbStore::open(path, RocksDbOptions{});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().kind, StoreError::Kind::kNotFound);
  EXPECT_NE(s.error().message.find(path), std::string::npos) << s.error().message;
}

TEST(RocksDbStoreOpen, RefusesAMissingDatadirWithoutCreate) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "missing").string();
  auto s = RocksDbStore::open(path, RocksDbOptions{.create_if_missing = false});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find(path), std::string::npos) << s.error().message;
  EXPECT_FALSE(std::filesystem::exists(path + "/CURRENT"));
}

TEST(RocksDbStoreOpen, RefusesADatadirOpenTwice) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "chain").string();
  auto first = RocksDbStore::open(path, RocksDbOptions{});
  ASSERT_TRUE(first) << first.error().message;
  auto second = RocksDbStore::open(path, RocksDbOptions{});
  ASSERT_FALSE(second);
  EXPECT_TRUE(second.error().kind == StoreError::Kind::kLocked || second.error().kind == StoreError::Kind::kIo);
  EXPECT_EQ(second.error().kind, StoreError::Kind::kLocked) << second.error().message;
  EXPECT_NE(second.error().message.find(path), std::string::npos) << second.error().message;
  // The first handle is unaffected, and the lock goes with it.
  const std::uint8_t k[1] = {1};
  put_raw(**first, Column::kMeta, k, k);
  first->reset();
  auto third = RocksDbStore::open(path, RocksDbOptions{});
  ASSERT_TRUE(third) << third.error().message;
  auto v = (*third)->get(Column::kMeta, k);
  ASSERT_TRUE(v && *v);
}

}  // namespace
}  // namespace tally::ledger
