#include "ledger/rocksdb_store.h"

#include <fcntl.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <sys/time.h>
#include <unistd.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/cache.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>

#include <algorithm>
#include <array>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>

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

// RocksDB's info log, written with plain write(2) and best effort: a line that cannot be
// written (a full disk) is dropped. RocksDB 7.8's own logger (EnvLogger over a
// WritableFileWriter) asserts that no write follows a failed one, so on a full disk the
// next log line (at the latest the one DB::Close writes) aborted the process.
class InfoLog final : public rocksdb::Logger {
 public:
  explicit InfoLog(const std::string& dir) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {
    const std::string path = dir + "/LOG";
    std::error_code ec;
    std::filesystem::rename(path, path + ".old", ec);  // absent the first time
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  }
  ~InfoLog() override {
    if (fd_ >= 0) ::close(fd_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (fd_ < 0) return;
    char line[2048];
    timeval now{};
    ::gettimeofday(&now, nullptr);
    tm t{};
    ::localtime_r(&now.tv_sec, &t);
    int n = std::snprintf(line, sizeof line, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ", t.tm_year + 1900, t.tm_mon + 1,
                          t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<long>(now.tv_usec));
    if (n < 0) return;
    va_list copy;
    va_copy(copy, ap);
    const int m = std::vsnprintf(line + n, sizeof line - static_cast<std::size_t>(n) - 1, format, copy);
    va_end(copy);
    if (m < 0) return;
    std::size_t len = std::min(sizeof line - 2, static_cast<std::size_t>(n) + static_cast<std::size_t>(m));
    if (len == 0 || line[len - 1] != '\n') line[len++] = '\n';
    (void)!::write(fd_, line, len);
  }

 private:
  int fd_ = -1;
};

}  // namespace

struct RocksDbStore::Impl {
  std::unique_ptr<rocksdb::DB> db;
  std::array<rocksdb::ColumnFamilyHandle*, kColumnCount> handles{};
  rocksdb::WriteOptions write_options;
  rocksdb::ReadOptions read_options;
  mutable std::mutex failure_mu;
  mutable std::optional<StoreError> failure;       // the first failed write or corruption read
  std::optional<StoreError> failed_write;          // writes are refused after this one

  StoreError remember(StoreError e, bool writing) const {
    std::lock_guard lock(failure_mu);
    if (!failure && (writing || e.kind == StoreError::Kind::kCorrupt)) failure = e;
    return e;
  }

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
  // A killed process can leave a torn last record in the write-ahead log, never a damaged
  // one in the middle: the tail is tolerated, any other damage refuses the open. RocksDB's
  // default (point in time) stops replaying at the first damaged record and opens without
  // everything after it: a flipped byte in the log silently took the node back in height.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
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

  if (options.create_if_missing) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return std::unexpected(StoreError{StoreError::Kind::kIo, "cannot create " + path + ": " + ec.message()});
  }
  if (std::filesystem::is_directory(path)) db_options.info_log = std::make_shared<InfoLog>(path);

  auto impl = std::make_unique<Impl>();
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw);
  if (!s.ok()) {
    StoreError e = to_error(s, "cannot open database " + path);
    // RocksDB does not always name the damaged file (a log record's checksum); its LOG does.
    if (e.kind == StoreError::Kind::kCorrupt) e.message += " (details in " + path + "/LOG)";
    return std::unexpected(e);
  }
  impl->db.reset(raw);
  (void)impl->db->DestroyColumnFamilyHandle(handles[0]);  // default: unused
  for (int i = 0; i < kColumnCount; ++i) impl->handles[static_cast<std::size_t>(i)] = handles[static_cast<std::size_t>(i) + 1];
  impl->write_options.sync = options.sync_writes;
  impl->read_options.verify_checksums = true;
  if (options.verify_on_open) {
    if (const rocksdb::Status v = impl->db->VerifyChecksum(impl->read_options); !v.ok())
      return std::unexpected(to_error(v, "database " + path + " failed its checksum check"));
  }
  return std::unique_ptr<RocksDbStore>(new RocksDbStore(std::move(impl)));
}

std::expected<std::optional<crypto::Bytes>, StoreError> RocksDbStore::get(Column c, crypto::ByteSpan key) const {
  rocksdb::PinnableSlice value;
  const rocksdb::Status s = impl_->db->Get(impl_->read_options, impl_->cf(c), slice(key), &value);
  if (s.IsNotFound()) return std::optional<crypto::Bytes>{};
  if (!s.ok()) return std::unexpected(impl_->remember(to_error(s, std::string("read from ") + column_name(c)), false));
  return std::optional<crypto::Bytes>(crypto::to_bytes(span(value)));
}

std::expected<void, StoreError> RocksDbStore::write(const WriteBatch& batch) {
  {
    std::lock_guard lock(impl_->failure_mu);
    if (impl_->failed_write)
      return std::unexpected(StoreError{impl_->failed_write->kind,
                                        "write refused after an earlier failed write (" + impl_->failed_write->message +
                                            "); restart the node once the cause is fixed"});
  }
  // Sized once: a block's batch is megabytes, and growing it by doubling copies it again
  // and again. Per operation RocksDB adds a tag, a column family id and two lengths.
  rocksdb::WriteBatch wb(12 + batch.data_size() + 12 * batch.ops().size());
  for (const auto& op : batch.ops()) {
    const rocksdb::Status s = op.erase ? wb.Delete(impl_->cf(op.column), slice(batch.key(op)))
                                       : wb.Put(impl_->cf(op.column), slice(batch.key(op)), slice(batch.value(op)));
    if (!s.ok()) return std::unexpected(to_error(s, "build write batch"));
  }
  const rocksdb::Status s = impl_->db->Write(impl_->write_options, &wb);
  if (!s.ok()) {
    // RocksDB must not be written again after a failed log write (7.8 asserts it does not
    // happen): every later write is refused here, and the owner stops.
    StoreError e = impl_->remember(to_error(s, "write batch"), true);
    std::lock_guard lock(impl_->failure_mu);
    impl_->failed_write = e;
    return std::unexpected(e);
  }
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
  if (!it->status().ok())
    return std::unexpected(impl_->remember(to_error(it->status(), std::string("scan ") + column_name(c)), false));
  return {};
}

std::optional<StoreError> RocksDbStore::failure() const {
  std::lock_guard lock(impl_->failure_mu);
  return impl_->failure;
}

}  // namespace tally::ledger
