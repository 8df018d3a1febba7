// The Store contract (store.h), checked on every implementation with typed tests: RocksDbStore
// on a temporary directory and MemoryStore. Absent keys are not errors; batches apply in
// order and atomically (a reader never sees part of one); columns are separate; iteration
// is in bytewise key order, stops when asked, and a prefix scan visits exactly the keys
// that start with it (also 0xff prefixes and the hashed columns); empty keys and values
// are records like any other; a callback may read the store; readers on other threads run
// during writes. Then what only MemoryStore promises.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "chain_fixture.h"
#include "ledger/memory_store.h"
#include "ledger/rocksdb_store.h"
#include "ledger_test_util.h"

namespace tally::ledger {
namespace {

using Record = std::pair<Bytes, Bytes>;

Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}
// Bytewise order, shorter first on a common prefix: the order the Store contract promises.
// (A loop rather than std::vector's operator<, which GCC 12 flags with a false
// -Wstringop-overread once inlined here.)
struct BytesLess {
  bool operator()(const Bytes& a, const Bytes& b) const {
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
      if (a[i] != b[i]) return a[i] < b[i];
    return a.size() < b.size();
  }
};
Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }
Bytes u64_be(std::uint64_t v) {
  Bytes out(8);
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
  return out;
}

template <class S>
std::unique_ptr<Store> make_store(const testing::TempDir& dir);
template <>
std::unique_ptr<Store> make_store<RocksDbStore>(const testing::TempDir& dir) {
  auto s = RocksDbStore::open((dir.path() / "store").string(), RocksDbOptions{});
  if (!s) ADD_FAILURE() << s.error().message;
  return s ? std::move(*s) : nullptr;
}
template <>
std::unique_ptr<Store> make_store<MemoryStore>(const testing::TempDir&) {
  return std::make_unique<MemoryStore>();
}

template <class S>
class StoreContract : public ::testing::Test {
 protected:
  StoreContract() : store_(make_store<S>(dir_)) {}

  Store& store() { return *store_; }
  void put(Column c, const Bytes& key, const Bytes& value) {
    WriteBatch batch;
    batch.put(c, key, value);
    ASSERT_TRUE(store().write(batch));
  }
  std::optional<Bytes> get(Column c, const Bytes& key) {
    auto v = store().get(c, key);
    EXPECT_TRUE(v.has_value()) << v.error().message;
    return v ? *v : std::nullopt;
  }
  std::vector<Record> scan(Column c, const Bytes& prefix = {}, std::size_t limit = SIZE_MAX) {
    std::vector<Record> out;
    auto visit = [&](ByteSpan k, ByteSpan v) {
      out.emplace_back(crypto::to_bytes(k), crypto::to_bytes(v));
      return out.size() < limit;
    };
    auto r = prefix.empty() ? store().for_each(c, visit) : store().for_each_prefix(c, prefix, visit);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return out;
  }
  std::vector<Bytes> scan_keys(Column c, const Bytes& prefix = {}) {
    std::vector<Bytes> keys;
    for (auto& [k, v] : scan(c, prefix)) keys.push_back(k);
    return keys;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

struct StoreName {
  template <class S>
  static std::string GetName(int) {
    return std::is_same_v<S, RocksDbStore> ? "RocksDb" : "Memory";
  }
};
using StoreTypes = ::testing::Types<RocksDbStore, MemoryStore>;
TYPED_TEST_SUITE(StoreContract, StoreTypes, StoreName);

// Every column, including the ones RocksDbStore hashes by key prefix (state, tx index).
constexpr Column kAllColumns[] = {Column::kMeta,  Column::kBlockIndex, Column::kBlockData,    Column::kUndo,
                                  Column::kState, Column::kTxIndex,    Column::kAddressHistory};

TYPED_TEST(StoreContract, AbsentKeyIsNulloptNotAnError) {
  for (Column c : kAllColumns) {
    EXPECT_EQ(this->get(c, text("missing")), std::nullopt);
    EXPECT_TRUE(this->scan(c).empty());
  }
}

TYPED_TEST(StoreContract, PutGetAndOverwriteWithAnotherLength) {
  const Bytes key = text("account");
  this->put(Column::kState, key, text("short"));
  EXPECT_EQ(this->get(Column::kState, key), text("short"));
  this->put(Column::kState, key, Bytes(1000, 0x5a));
  EXPECT_EQ(this->get(Column::kState, key), Bytes(1000, 0x5a));
  this->put(Column::kState, key, bytes({0, 0, 1}));  // zero bytes are data
  EXPECT_EQ(this->get(Column::kState, key), bytes({0, 0, 1}));
  EXPECT_EQ(this->scan(Column::kState).size(), 1u);
}

TYPED_TEST(StoreContract, ColumnsAreSeparate) {
  const Bytes key = text("same key");
  for (Column c : kAllColumns) this->put(c, key, bytes({static_cast<int>(c)}));
  for (Column c : kAllColumns) {
    EXPECT_EQ(this->get(c, key), bytes({static_cast<int>(c)})) << column_name(c);
    EXPECT_EQ(this->scan(c).size(), 1u) << column_name(c);
  }
  WriteBatch batch;
  batch.erase(Column::kUndo, key);
  ASSERT_TRUE(this->store().write(batch));
  EXPECT_EQ(this->get(Column::kUndo, key), std::nullopt);
  EXPECT_EQ(this->get(Column::kBlockData, key), bytes({static_cast<int>(Column::kBlockData)}));
}

// One batch that puts and erases, the same keys several times: applied in order, as a whole.
TYPED_TEST(StoreContract, BatchOfPutsAndErasesAppliesInOrder) {
  this->put(Column::kMeta, text("old"), text("1"));
  this->put(Column::kMeta, text("kept"), text("2"));
  WriteBatch batch;
  batch.put(Column::kMeta, text("a"), text("first"));
  batch.erase(Column::kMeta, text("a"));  // put then erase: gone
  batch.erase(Column::kMeta, text("b"));
  batch.put(Column::kMeta, text("b"), text("back"));  // erase then put: there
  batch.put(Column::kMeta, text("c"), text("one"));
  batch.put(Column::kMeta, text("c"), text("two"));  // the last put wins
  batch.erase(Column::kMeta, text("old"));
  batch.erase(Column::kMeta, text("never there"));  // erasing an absent key is no error
  batch.put(Column::kState, text("a"), text("other column"));
  ASSERT_TRUE(this->store().write(batch));
  EXPECT_EQ(this->get(Column::kMeta, text("a")), std::nullopt);
  EXPECT_EQ(this->get(Column::kMeta, text("b")), text("back"));
  EXPECT_EQ(this->get(Column::kMeta, text("c")), text("two"));
  EXPECT_EQ(this->get(Column::kMeta, text("old")), std::nullopt);
  EXPECT_EQ(this->get(Column::kMeta, text("kept")), text("2"));
  EXPECT_EQ(this->get(Column::kState, text("a")), text("other column"));
  EXPECT_EQ(this->scan_keys(Column::kMeta), (std::vector<Bytes>{text("b"), text("c"), text("kept")}));

  WriteBatch empty;
  EXPECT_TRUE(this->store().write(empty));
  EXPECT_EQ(this->scan(Column::kMeta).size(), 3u);
}

TYPED_TEST(StoreContract, EmptyKeysAndValuesAreRecords) {
  this->put(Column::kMeta, {}, text("value of the empty key"));
  this->put(Column::kMeta, text("k"), {});
  EXPECT_EQ(this->get(Column::kMeta, {}), text("value of the empty key"));
  const auto empty_value = this->get(Column::kMeta, text("k"));
  ASSERT_TRUE(empty_value.has_value()) << "an empty value is present, not absent";
  EXPECT_TRUE(empty_value->empty());
  // The empty key sorts first; an empty prefix means every key.
  EXPECT_EQ(this->scan_keys(Column::kMeta), (std::vector<Bytes>{Bytes{}, text("k")}));
  std::size_t visited = 0;
  ASSERT_TRUE(this->store().for_each_prefix(Column::kMeta, {}, [&](ByteSpan, ByteSpan) { return ++visited, true; }));
  EXPECT_EQ(visited, 2u);
  WriteBatch batch;
  batch.erase(Column::kMeta, {});
  ASSERT_TRUE(this->store().write(batch));
  EXPECT_EQ(this->get(Column::kMeta, {}), std::nullopt);
  EXPECT_EQ(this->scan_keys(Column::kMeta), (std::vector<Bytes>{text("k")}));
}

// Random keys of random lengths (many sharing prefixes, many 0x00 and 0xff bytes) come back
// in bytewise order, shorter first on a common prefix.
TYPED_TEST(StoreContract, IterationIsInBytewiseKeyOrder) {
  std::mt19937_64 rng(test_util::testing_seed());
  SCOPED_TRACE(test_util::seed_trace(test_util::testing_seed()));
  for (Column c : {Column::kMeta, Column::kState, Column::kTxIndex, Column::kAddressHistory}) {
    std::map<Bytes, Bytes, BytesLess> expected;
    WriteBatch batch;
    for (int i = 0; i < 300; ++i) {
      Bytes key(rng() % 12);
      for (auto& b : key) b = std::array<std::uint8_t, 4>{0x00, 0x01, 0xfe, 0xff}[rng() % 4];
      const Bytes value = u64_be(rng());
      expected[key] = value;
      batch.put(c, key, value);
    }
    ASSERT_TRUE(this->store().write(batch));
    const std::vector<Record> got = this->scan(c);
    EXPECT_EQ(got, (std::vector<Record>(expected.begin(), expected.end()))) << column_name(c);
  }
}

TYPED_TEST(StoreContract, IterationStopsWhenTheCallbackSaysSo) {
  for (int i = 0; i < 10; ++i) this->put(Column::kBlockIndex, bytes({0x10, i}), text("v"));
  EXPECT_EQ(this->scan(Column::kBlockIndex, {}, 3).size(), 3u);
  EXPECT_EQ(this->scan(Column::kBlockIndex, bytes({0x10}), 1).size(), 1u);
  const auto first_two = this->scan(Column::kBlockIndex, bytes({0x10}), 2);
  ASSERT_EQ(first_two.size(), 2u);
  EXPECT_EQ(first_two[1].first, bytes({0x10, 1}));
}

// Exactly the keys that start with the prefix, in order, on every column: neighbours just
// below and just above are left out, and a prefix of 0xff bytes (which has no "next" key
// of the same length to stop at) ends at the end of the column.
TYPED_TEST(StoreContract, PrefixScanBoundaries) {
  const Bytes ff8(8, 0xff);  // as long as RocksDbStore's hashed prefixes
  auto cat = [](Bytes a, const Bytes& b) { return a.insert(a.end(), b.begin(), b.end()), a; };
  const std::vector<Bytes> keys = {
      bytes({0x61}),                   bytes({0x61, 0x61, 0xff}),    bytes({0x61, 0x62}),
      bytes({0x61, 0x62, 0x00}),       bytes({0x61, 0x62, 0xff}),    bytes({0x61, 0x62, 0xff, 0xff}),
      bytes({0x61, 0x63}),             bytes({0xfe, 0xff}),          bytes({0xff}),
      bytes({0xff, 0x00}),             bytes({0xff, 0xff}),          bytes({0xff, 0xff, 0xff}),
      cat(ff8, bytes({0x00})),         cat(ff8, Bytes(12, 0xff)),    cat(Bytes(7, 0xff), bytes({0xfe, 0xff})),
      cat(bytes({0x61, 0x62}), Bytes(18, 0x42)),
  };
  for (Column c : kAllColumns) {
    SCOPED_TRACE(column_name(c));
    WriteBatch batch;
    for (const Bytes& k : keys) batch.put(c, k, k);
    ASSERT_TRUE(this->store().write(batch));
    auto expect_prefix = [&](const Bytes& prefix) {
      std::vector<Bytes> expected;
      for (const Bytes& k : keys)
        if (k.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), k.begin())) expected.push_back(k);
      std::sort(expected.begin(), expected.end(), BytesLess{});
      const auto got = this->scan(c, prefix);
      std::vector<Bytes> got_keys;
      for (const auto& [k, v] : got) {
        EXPECT_EQ(k, v);
        got_keys.push_back(k);
      }
      EXPECT_EQ(got_keys, expected) << "prefix of " << prefix.size() << " bytes, first " << (prefix.empty() ? -1 : prefix[0]);
    };
    expect_prefix(bytes({0x61, 0x62}));
    expect_prefix(bytes({0x61}));
    expect_prefix(bytes({0x61, 0x62, 0xff}));
    expect_prefix(bytes({0xff}));
    expect_prefix(bytes({0xff, 0xff}));
    expect_prefix(ff8);
    expect_prefix(cat(ff8, Bytes(12, 0xff)));
    expect_prefix(cat(ff8, Bytes(20, 0xff)));  // longer than every key
    expect_prefix(bytes({0x62}));               // between keys: nothing
    expect_prefix(bytes({0x00}));               // below every key: nothing
    expect_prefix(cat(bytes({0x61, 0x62}), Bytes(8, 0x42)));
  }
}

// A callback may read the store it iterates (a get, a nested scan).
TYPED_TEST(StoreContract, CallbackMayReadTheStore) {
  for (int i = 0; i < 5; ++i) {
    this->put(Column::kTxIndex, bytes({i}), bytes({i * 2}));
    this->put(Column::kUndo, bytes({i * 2}), text("undo"));
  }
  int found = 0;
  auto r = this->store().for_each(Column::kTxIndex, [&](ByteSpan, ByteSpan value) {
    auto v = this->store().get(Column::kUndo, value);
    if (v && *v) ++found;
    std::size_t nested = 0;
    auto n = this->store().for_each_prefix(Column::kTxIndex, {}, [&](ByteSpan, ByteSpan) { return ++nested, true; });
    return n.has_value() && nested == 5;
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(found, 5);
}

// A writer replaces a set of records batch after batch (erasing the previous set and putting
// the next, which has other keys) while two readers scan and read: every scan sees exactly
// one whole set, and a reader never sees a key go back to an older batch. The writer starts
// once both readers run and goes on until each has scanned many times (within a bound: on
// RocksDB every batch leaves tombstones that later scans step over).
TYPED_TEST(StoreContract, ConcurrentReadersSeeWholeBatches) {
  // RocksDB's batches cost some 50 times more (the write-ahead log): fewer of them.
  constexpr bool kRocksDb = std::is_same_v<TypeParam, RocksDbStore>;
  constexpr std::uint64_t kMinBatches = kRocksDb ? 300 : 2000;
  constexpr std::uint64_t kMaxBatches = 2 * kMinBatches;
  constexpr int kMinScans = 100;  // per reader
  constexpr int kKeysPerSet = 32;
  auto key = [](std::uint64_t batch, int i) { return bytes({static_cast<int>(batch % 2), i}); };
  auto write_set = [&](std::uint64_t n) {
    WriteBatch batch;
    for (int i = 0; i < kKeysPerSet; ++i) batch.erase(Column::kState, key(n + 1, i));  // the previous set
    for (int i = 0; i < kKeysPerSet; ++i) batch.put(Column::kState, key(n, i), u64_be(n));
    batch.put(Column::kMeta, text("latest"), u64_be(n));
    return this->store().write(batch).has_value();
  };
  ASSERT_TRUE(write_set(0));
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, backwards{0}, errors{0};
  std::array<std::atomic<int>, 2> scans{};
  auto reader = [&](std::atomic<int>& my_scans) {
    std::uint64_t last = 0;
    while (!done.load()) {
      std::set<Bytes, BytesLess> values;
      int n = 0;
      auto r = this->store().for_each(Column::kState, [&](ByteSpan, ByteSpan v) {
        values.insert(crypto::to_bytes(v));
        return ++n, true;
      });
      if (!r) errors.fetch_add(1);
      if (n != kKeysPerSet || values.size() != 1) torn.fetch_add(1);
      auto latest = this->store().get(Column::kMeta, text("latest"));
      if (latest && *latest) {
        std::uint64_t seen = 0;
        for (std::uint8_t b : **latest) seen = seen << 8 | b;
        if (seen < last) backwards.fetch_add(1);
        last = seen;
      } else {
        errors.fetch_add(1);
      }
      my_scans.fetch_add(1);
      my_scans.notify_all();
    }
  };
  std::thread r1(reader, std::ref(scans[0])), r2(reader, std::ref(scans[1]));
  bool wrote = true;
  std::uint64_t n = 0;
  for (auto& reader_scans : scans) reader_scans.wait(0);  // both readers run
  while (wrote && n < kMaxBatches && (n < kMinBatches || scans[0].load() < kMinScans || scans[1].load() < kMinScans))
    wrote = write_set(++n);
  done.store(true);
  r1.join();
  r2.join();
  EXPECT_TRUE(wrote);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(torn.load(), 0) << "a scan saw part of a batch";
  EXPECT_EQ(backwards.load(), 0);
  EXPECT_EQ(this->get(Column::kMeta, text("latest")), u64_be(n));
}

// ---------------------------------------------------------------------------------------
// MemoryStore only.

TEST(MemoryStore, WriteFromInsideItsOwnIterationIsRefusedAndChangesNothing) {
  MemoryStore store;
  WriteBatch first;
  first.put(Column::kMeta, bytes({1}), bytes({1}));
  ASSERT_TRUE(store.write(first));
  std::optional<StoreError> error;
  ASSERT_TRUE(store.for_each(Column::kMeta, [&](ByteSpan, ByteSpan) {
    WriteBatch inner;
    inner.put(Column::kMeta, bytes({2}), bytes({2}));
    inner.erase(Column::kMeta, bytes({1}));
    if (auto r = store.write(inner); !r) error = r.error();
    return true;
  }));
  ASSERT_TRUE(error.has_value()) << "a write would deadlock; it must fail instead";
  EXPECT_EQ(error->kind, StoreError::Kind::kIo);
  EXPECT_EQ(store.record_count(Column::kMeta), 1u);
  EXPECT_TRUE(*store.get(Column::kMeta, bytes({1})));
  // Another store may be written from the callback.
  MemoryStore other;
  ASSERT_TRUE(store.for_each(Column::kMeta, [&](ByteSpan k, ByteSpan v) {
    WriteBatch copy;
    copy.put(Column::kMeta, k, v);
    return other.write(copy).has_value();
  }));
  EXPECT_EQ(other.record_count(Column::kMeta), 1u);
}

TEST(MemoryStore, CountsRecordsPerColumn) {
  MemoryStore store;
  WriteBatch batch;
  for (int i = 0; i < 100; ++i) batch.put(Column::kState, bytes({i}), bytes({i}));
  batch.put(Column::kUndo, bytes({1}), {});
  ASSERT_TRUE(store.write(batch));
  EXPECT_EQ(store.record_count(Column::kState), 100u);
  EXPECT_EQ(store.record_count(Column::kUndo), 1u);
  EXPECT_EQ(store.record_count(Column::kMeta), 0u);
}

}  // namespace
}  // namespace tally::ledger
