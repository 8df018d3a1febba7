#include "ledger/rocksdb_store.h"

#include <rocksdb/db.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/cache.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>

#include <array>

namespace tally::ledger {

namespace {

rocksdb::Slice slice(crypto::ByteSpan s) { return rocksdb::Slice(reinterpret_cast<const char*>(s.data()), s.size()); }
crypto::ByteSpan span(const rocksdb::Slice& s) {
  return crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// Columns read by exact key get a hashed memtable: a block's thousands of random keys then
// go into small buckets (by the key's first 8 bytes) instead of one big skip list, which
// halves the cost of a block's write batch. Not the address history: its keys share their
// address prefix, and busy addresses would make a few buckets as big as the whole list.
std::size_t hashed_prefix_length(Column c) {
  switch (c) {
    case Column::kState: return 8;    // addresses (20 bytes)
    case Column::kTxIndex: return 8;  // txids (32 bytes)
    default: return 0;
  }
}

StoreError to_error(const rocksdb::Status& s, const std::string& what) {
  StoreError::Kind kind = StoreError::Kind::kIo;
  if (s.IsCorruption()) kind = StoreError::Kind::kCorrupt;
  if (s.IsNotFound()) kind = StoreError::Kind::kNotFound;
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) kind = StoreError::Kind::kLocked;
  return StoreError{kind, what + ": " + s.ToString()};
}

}  // namespace

struct RocksDbStore::Impl {
  std::unique_ptr<rocksdb::DB> db;
  std::array<rocksdb::ColumnFamilyHandle*, kColumnCount> handles{};
  rocksdb::WriteOptions write_options;
  rocksdb::ReadOptions read_options;

  ~Impl() {
    for (auto* h : handles)
      if (h && db) (void)db->DestroyColumnFamilyHandle(h);
    if (db) (void)db->Close();
  }
  rocksdb::ColumnFamilyHandle* cf(Column c) const { return handles[static_cast<std::size_t>(c)]; }
};

RocksDbStore::RocksDbStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RocksDbStore::~RocksDbStore() = default;

std::expected<std::unique_ptr<RocksDbStore>, StoreError> RocksDbStore::open(const std::string& path,
                                                                           const RocksDbOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = options.create_if_missing;
  db_options.paranoid_checks = true;
  db_options.max_open_files = 256;
  db_options.keep_log_file_num = 3;
  db_options.max_background_jobs = 2;
  // Hashed memtables need it off; one thread writes anyway (the chain's).
  db_options.allow_concurrent_memtable_write = false;
  // One budget for the memtables of every column: when they hold more, the largest is
  // flushed. Per-column buffers alone let each of the five written columns hold its own,
  // which made a syncing node's memory grow with the number of columns.
  db_options.db_write_buffer_size = options.memtable_bytes;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_options.write_buffer_size = options.memtable_bytes;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (int i = 0; i < kColumnCount; ++i) {
    const auto c = static_cast<Column>(i);
    rocksdb::ColumnFamilyOptions column = cf_options;
    if (const std::size_t n = hashed_prefix_length(c); n > 0) {
      column.prefix_extractor.reset(rocksdb::NewCappedPrefixTransform(n));
      // A linked list per bucket (a skip list once a bucket holds 256 entries): most keys
      // are alone in theirs, and a list node costs less memory than a skip list each.
      column.memtable_factory.reset(rocksdb::NewHashLinkListRepFactory(1u << 16));
    }
    descriptors.emplace_back(column_name(c), column);
  }

  auto impl = std::make_unique<Impl>();
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw);
  if (!s.ok()) return std::unexpected(to_error(s, "cannot open database " + path));
  impl->db.reset(raw);
  (void)impl->db->DestroyColumnFamilyHandle(handles[0]);  // default: unused
  for (int i = 0; i < kColumnCount; ++i) impl->handles[static_cast<std::size_t>(i)] = handles[static_cast<std::size_t>(i) + 1];
  impl->write_options.sync = options.sync_writes;
  impl->read_options.verify_checksums = true;
  return std::unique_ptr<RocksDbStore>(new RocksDbStore(std::move(impl)));
}

std::expected<std::optional<crypto::Bytes>, StoreError> RocksDbStore::get(Column c, crypto::ByteSpan key) const {
  rocksdb::PinnableSlice value;
  const rocksdb::Status s = impl_->db->Get(impl_->read_options, impl_->cf(c), slice(key), &value);
  if (s.IsNotFound()) return std::optional<crypto::Bytes>{};
  if (!s.ok()) return std::unexpected(to_error(s, std::string("read from ") + column_name(c)));
  return std::optional<crypto::Bytes>(crypto::to_bytes(span(value)));
}

std::expected<void, StoreError> RocksDbStore::write(const WriteBatch& batch) {
  // Sized once: a block's batch is megabytes, and growing it by doubling copies it again
  // and again. Per operation RocksDB adds a tag, a column family id and two lengths.
  rocksdb::WriteBatch wb(12 + batch.data_size() + 12 * batch.ops().size());
  for (const auto& op : batch.ops()) {
    const rocksdb::Status s = op.erase ? wb.Delete(impl_->cf(op.column), slice(batch.key(op)))
                                       : wb.Put(impl_->cf(op.column), slice(batch.key(op)), slice(batch.value(op)));
    if (!s.ok()) return std::unexpected(to_error(s, "build write batch"));
  }
  const rocksdb::Status s = impl_->db->Write(impl_->write_options, &wb);
  if (!s.ok()) return std::unexpected(to_error(s, "write batch"));
  return {};
}

std::expected<void, StoreError> RocksDbStore::for_each(
    Column c, const std::function<bool(crypto::ByteSpan, crypto::ByteSpan)>& fn) const {
  return for_each_prefix(c, {}, fn);
}

std::expected<void, StoreError> RocksDbStore::for_each_prefix(
    Column c, crypto::ByteSpan prefix, const std::function<bool(crypto::ByteSpan, crypto::ByteSpan)>& fn) const {
  // A scan within one hashed prefix reads that bucket; anything else needs total order.
  rocksdb::ReadOptions read = impl_->read_options;
  const std::size_t hashed = hashed_prefix_length(c);
  if (hashed > 0 && prefix.size() >= hashed) {
    read.prefix_same_as_start = true;
  } else {
    read.total_order_seek = true;
  }
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read, impl_->cf(c)));
  for (it->Seek(slice(prefix)); it->Valid(); it->Next()) {
    const auto key = span(it->key());
    if (key.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), key.begin())) break;
    if (!fn(key, span(it->value()))) break;
  }
  if (!it->status().ok()) return std::unexpected(to_error(it->status(), std::string("scan ") + column_name(c)));
  return {};
}

}  // namespace tally::ledger
