#include "ledger/memory_store.h"

#include <boost/intrusive/set.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <vector>

namespace tally::ledger {

namespace {

namespace bi = boost::intrusive;
using crypto::ByteSpan;

// One record: the tree's links (three words: the colour bit lives in the parent pointer),
// the two sizes, then the key and the value, all in one allocation.
class Entry : public bi::set_base_hook<bi::optimize_size<true>, bi::link_mode<bi::normal_link>> {
 public:
  struct Free {
    void operator()(Entry* e) const {
      e->~Entry();
      ::operator delete(e);
    }
  };

  static std::unique_ptr<Entry, Free> make(ByteSpan key, ByteSpan value) {
    auto* e = new (::operator new(sizeof(Entry) + key.size() + value.size())) Entry;
    e->key_size_ = static_cast<std::uint32_t>(key.size());
    e->value_size_ = static_cast<std::uint32_t>(value.size());
    if (!key.empty()) std::memcpy(e->bytes(), key.data(), key.size());
    if (!value.empty()) std::memcpy(e->bytes() + key.size(), value.data(), value.size());
    return std::unique_ptr<Entry, Free>(e);
  }

  ByteSpan key() const { return ByteSpan(bytes(), key_size_); }
  ByteSpan value() const { return ByteSpan(bytes() + key_size_, value_size_); }

 private:
  Entry() = default;
  std::uint8_t* bytes() { return reinterpret_cast<std::uint8_t*>(this + 1); }
  const std::uint8_t* bytes() const { return reinterpret_cast<const std::uint8_t*>(this + 1); }

  std::uint32_t key_size_ = 0;
  std::uint32_t value_size_ = 0;
};
static_assert(sizeof(Entry) == 32, "links and sizes; memory_store.h quotes this size");
using EntryPtr = std::unique_ptr<Entry, Entry::Free>;

// Bytewise order, shorter first on a common prefix (RocksDB's default comparator).
bool less(ByteSpan a, ByteSpan b) {
  const std::size_t n = std::min(a.size(), b.size());
  if (n > 0) {
    if (const int c = std::memcmp(a.data(), b.data(), n); c != 0) return c < 0;
  }
  return a.size() < b.size();
}
struct EntryLess {
  bool operator()(const Entry& a, const Entry& b) const { return less(a.key(), b.key()); }
};
// For lookups by key without making an Entry.
struct KeyLess {
  bool operator()(ByteSpan a, const Entry& b) const { return less(a, b.key()); }
  bool operator()(const Entry& a, ByteSpan b) const { return less(a.key(), b); }
};
using Tree = bi::set<Entry, bi::compare<EntryLess>>;

bool starts_with(ByteSpan key, ByteSpan prefix) {
  return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}

// The stores whose read lock this thread holds while it runs a for_each callback, innermost
// first. A read from inside a callback must not lock the same store again: std::shared_mutex
// does not allow one thread two shared locks, and with a writer waiting in between, the
// second could wait forever.
struct ReadFrame {
  const void* store;
  const ReadFrame* outer;
};
thread_local const ReadFrame* t_reading = nullptr;

bool reading(const void* store) {
  for (const ReadFrame* f = t_reading; f != nullptr; f = f->outer)
    if (f->store == store) return true;
  return false;
}

// Marks `store` as read-locked by this thread while a callback runs.
class ReadingScope {
 public:
  explicit ReadingScope(const void* store) : frame_{store, t_reading} { t_reading = &frame_; }
  ~ReadingScope() { t_reading = frame_.outer; }
  ReadingScope(const ReadingScope&) = delete;
  ReadingScope& operator=(const ReadingScope&) = delete;

 private:
  ReadFrame frame_;
};

}  // namespace

struct MemoryStore::Impl {
  // Readers share `mu`; the writer holds it alone. std::shared_mutex lets new readers in
  // while a writer waits (glibc prefers readers), so overlapping scans could starve the
  // writer for good: the writer holds `gate` while it waits, and readers pass the gate
  // first, so a waiting writer only waits for the readers already in.
  std::mutex gate;
  std::shared_mutex mu;
  std::array<Tree, kColumnCount> trees;  // guarded by mu

  // A shared lock on the store, unless this thread already holds one (inside a callback).
  class ReadLock {
   public:
    explicit ReadLock(Impl& impl) : mu_(impl.mu), held_(!reading(&impl)) {
      if (!held_) return;
      const std::lock_guard pass(impl.gate);
      mu_.lock_shared();
    }
    ~ReadLock() {
      if (held_) mu_.unlock_shared();
    }
    ReadLock(const ReadLock&) = delete;
    ReadLock& operator=(const ReadLock&) = delete;

   private:
    std::shared_mutex& mu_;
    bool held_;
  };

  // The store alone, once the readers already in have left.
  class WriteLock {
   public:
    explicit WriteLock(Impl& impl) : mu_(impl.mu) {
      const std::lock_guard hold(impl.gate);
      mu_.lock();
    }
    ~WriteLock() { mu_.unlock(); }
    WriteLock(const WriteLock&) = delete;
    WriteLock& operator=(const WriteLock&) = delete;

   private:
    std::shared_mutex& mu_;
  };

  ~Impl() {
    for (Tree& t : trees) t.clear_and_dispose(Entry::Free{});
  }
  Tree& tree(Column c) { return trees[static_cast<std::size_t>(c)]; }
  const Tree& tree(Column c) const { return trees[static_cast<std::size_t>(c)]; }
};

MemoryStore::MemoryStore() : impl_(std::make_unique<Impl>()) {}
MemoryStore::~MemoryStore() = default;

std::expected<std::optional<crypto::Bytes>, StoreError> MemoryStore::get(Column c, crypto::ByteSpan key) const {
  const Impl::ReadLock lock(*impl_);
  const Tree& tree = impl_->tree(c);
  const auto it = tree.find(key, KeyLess{});
  if (it == tree.end()) return std::optional<crypto::Bytes>{};
  const ByteSpan value = it->value();
  return std::optional<crypto::Bytes>(std::in_place, value.begin(), value.end());
}

std::expected<void, StoreError> MemoryStore::write(const WriteBatch& batch) {
  if (reading(impl_.get()))
    return std::unexpected(StoreError{StoreError::Kind::kIo, "memory store: write from inside its own for_each"});
  const auto& ops = batch.ops();
  // Everything that allocates happens first: out of memory, the batch changes nothing. What
  // follows under the lock cannot fail, so a batch applies in full.
  std::vector<EntryPtr> fresh;
  fresh.reserve(ops.size());
  for (const auto& op : ops)
    if (!op.erase) fresh.push_back(Entry::make(batch.key(op), batch.value(op)));
  std::vector<EntryPtr> dropped;  // replaced or erased; freed after the lock is released
  dropped.reserve(ops.size());

  const Impl::WriteLock lock(*impl_);
  std::size_t next = 0;
  for (const auto& op : ops) {
    Tree& tree = impl_->tree(op.column);
    const ByteSpan key = batch.key(op);
    if (op.erase) {
      if (const auto it = tree.find(key, KeyLess{}); it != tree.end()) {
        dropped.emplace_back(&*it);
        tree.erase(it);
      }
      continue;
    }
    Entry* entry = fresh[next++].release();
    Tree::insert_commit_data commit;
    const auto [it, absent] = tree.insert_unique_check(key, KeyLess{}, commit);
    if (absent) {
      tree.insert_unique_commit(*entry, commit);
    } else {
      dropped.emplace_back(&*it);
      tree.replace_node(it, *entry);
    }
  }
  return {};
}

std::expected<void, StoreError> MemoryStore::for_each(
    Column c, const std::function<bool(crypto::ByteSpan, crypto::ByteSpan)>& fn) const {
  return for_each_prefix(c, {}, fn);
}

std::expected<void, StoreError> MemoryStore::for_each_prefix(
    Column c, crypto::ByteSpan prefix, const std::function<bool(crypto::ByteSpan, crypto::ByteSpan)>& fn) const {
  // The lock is held throughout: the walk sees one state, as a RocksDB iterator does.
  const Impl::ReadLock lock(*impl_);
  const ReadingScope scope(impl_.get());
  const Tree& tree = impl_->tree(c);
  for (auto it = tree.lower_bound(prefix, KeyLess{}); it != tree.end(); ++it) {
    const ByteSpan key = it->key();
    if (!starts_with(key, prefix)) break;
    if (!fn(key, it->value())) break;
  }
  return {};
}

std::size_t MemoryStore::record_count(Column c) const {
  const Impl::ReadLock lock(*impl_);
  return impl_->tree(c).size();
}

}  // namespace tally::ledger
