#include "ledger/chain.h"

#include <algorithm>

#include "crypto/hex.h"
#include "ledger/merkle.h"
#include "ledger/thread_pool.h"

namespace tally::ledger {

namespace {

ChainError store_error(const StoreError& e) {
  const auto kind = e.kind == StoreError::Kind::kCorrupt ? ChainError::Kind::kCorrupt : ChainError::Kind::kStore;
  return ChainError{kind, e.message, std::nullopt};
}
ChainError corrupt(const std::string& what) { return ChainError{ChainError::Kind::kCorrupt, what, std::nullopt}; }
ChainError invalid(const BlockFailure& f) { return ChainError{ChainError::Kind::kInvalid, f.message(), f}; }

std::string short_hash(const BlockHash& h) { return crypto::to_hex(h); }

}  // namespace

// Reads accounts of the active tip from the store. A read error is remembered and reported
// by the chain after the operation that needed it (StateView::get cannot fail).
class Chain::StoreStateView final : public StateView {
 public:
  explicit StoreStateView(const Store& store) : store_(store) {}
  Account get(const crypto::Address& address) const override {
    auto v = store_.get(Column::kState, address.span());
    if (!v) {
      error_ = v.error().message;
      return Account{};
    }
    if (!v->has_value()) return Account{};
    auto a = decode_account(**v);
    if (!a) {
      error_ = "corrupt account record for " + crypto::to_hex(address);
      return Account{};
    }
    return *a;
  }
  std::optional<std::string> take_error() const { return std::exchange(error_, std::nullopt); }

 private:
  const Store& store_;
  mutable std::optional<std::string> error_;
};

namespace {
// The chain's own executor when none is injected: as many threads as verify_threads, the
// chain's thread one of them.
std::unique_ptr<Executor> own_executor(const ChainOptions& options) {
  if (options.executor) return nullptr;
  if (options.verify_threads <= 1) return std::make_unique<InlineExecutor>();
  return std::make_unique<ThreadPool>(options.verify_threads - 1);
}
}  // namespace

Chain::Chain(const ChainSpec& spec, Store& store, const ChainOptions& options)
    : spec_(spec),
      store_(store),
      options_(options),
      own_executor_(own_executor(options)),
      verifier_(options.executor ? *options.executor : *own_executor_),
      state_view_(std::make_unique<StoreStateView>(store)) {}

Chain::~Chain() = default;

std::expected<std::unique_ptr<Chain>, ChainError> Chain::open(const ChainSpec& spec, Store& store,
                                                             const ChainOptions& options) {
  std::unique_ptr<Chain> chain(new Chain(spec, store, options));
  if (auto r = chain->initialize_or_load(); !r) return std::unexpected(r.error());
  return chain;
}

BlockEntry* Chain::add_entry(const BlockHeader& header, std::uint8_t status, std::uint64_t sequence) {
  auto entry = std::make_unique<BlockEntry>();
  entry->header = header;
  entry->hash = header.hash();
  entry->status = status;
  entry->sequence = sequence;
  BlockEntry* e = entry.get();
  if (header.height > 0) {
    auto parent = entries_.find(header.prev_hash);
    if (parent != entries_.end()) {
      e->parent = parent->second.get();
      e->parent->children.push_back(e);
    }
  }
  e->chain_work = (e->parent ? e->parent->chain_work : Uint256(0)) + work_from_compact(header.bits);
  e->block1 = header.height == 1 ? e : (e->parent ? e->parent->block1 : nullptr);
  entries_.emplace(e->hash, std::move(entry));
  next_sequence_ = std::max(next_sequence_, sequence + 1);
  if (!e->failed() && (!best_header_ || WorkOrder{}(e, best_header_))) best_header_ = e;
  return e;
}

std::expected<void, ChainError> Chain::write_genesis() {
  const Block genesis = spec_.genesis_block();
  WriteBatch batch;
  const BlockHash hash = genesis.hash();
  std::uint32_t schema = kSchemaVersion;
  Writer sw;
  sw.u32(schema);
  batch.put(Column::kMeta, meta_key::bytes(meta_key::kSchema), sw.data());
  batch.put(Column::kMeta, meta_key::bytes(meta_key::kGenesis), hash.span());
  batch.put(Column::kMeta, meta_key::bytes(meta_key::kTip), hash.span());
  StateHash lanes;
  for (const auto& a : spec_.accounts) {
    const Account acc{a.balance, 0};
    lanes.add(a.address, acc);
    batch.put(Column::kState, a.address.span(), encode_account(acc));
  }
  batch.put(Column::kMeta, meta_key::bytes(meta_key::kStateLanes), lanes.serialize());
  batch.put(Column::kBlockIndex, hash.span(),
            encode_index_record(IndexRecord{genesis.header, kStatusHaveData | kStatusValid, 0}));
  batch.put(Column::kBlockData, hash.span(), genesis.encode());
  if (auto r = store_.write(batch); !r) return std::unexpected(store_error(r.error()));
  return {};
}

std::expected<void, ChainError> Chain::initialize_or_load() {
  const BlockHash genesis_hash = spec_.genesis_hash();
  auto schema = store_.get(Column::kMeta, meta_key::bytes(meta_key::kSchema));
  if (!schema) return std::unexpected(store_error(schema.error()));
  if (!schema->has_value()) {
    // A store with any record but no schema is not ours: refuse rather than mix data.
    bool empty = true;
    for (int c = 0; c < kColumnCount && empty; ++c) {
      auto r = store_.for_each(static_cast<Column>(c), [&](ByteSpan, ByteSpan) { return empty = false; });
      if (!r) return std::unexpected(store_error(r.error()));
    }
    if (!empty) return std::unexpected(ChainError{ChainError::Kind::kWrongSchema, "datadir holds data without a Tally schema marker", {}});
    if (auto r = write_genesis(); !r) return r;
    schema = store_.get(Column::kMeta, meta_key::bytes(meta_key::kSchema));
    if (!schema) return std::unexpected(store_error(schema.error()));
  }
  {
    Reader r(**schema);
    auto v = r.u32();
    if (!v || !r.expect_end()) return std::unexpected(corrupt("schema record is damaged"));
    if (*v != kSchemaVersion)
      return std::unexpected(ChainError{ChainError::Kind::kWrongSchema,
                                        "datadir has schema version " + std::to_string(*v) + ", this build reads " +
                                            std::to_string(kSchemaVersion),
                                        {}});
  }
  auto stored_genesis = store_.get(Column::kMeta, meta_key::bytes(meta_key::kGenesis));
  if (!stored_genesis) return std::unexpected(store_error(stored_genesis.error()));
  if (!stored_genesis->has_value() || (*stored_genesis)->size() != 32)
    return std::unexpected(corrupt("genesis record is missing or damaged"));
  if (BlockHash::from_span(**stored_genesis) != genesis_hash)
    return std::unexpected(ChainError{ChainError::Kind::kWrongGenesis,
                                      "datadir belongs to another chain: its genesis is " +
                                          crypto::to_hex(**stored_genesis) + ", chain spec '" + spec_.name +
                                          "' has genesis " + short_hash(genesis_hash),
                                      {}});

  // Load the block index, parents before children (by height).
  std::vector<IndexRecord> records;
  std::optional<ChainError> load_error;
  auto scan = store_.for_each(Column::kBlockIndex, [&](ByteSpan key, ByteSpan value) {
    auto rec = decode_index_record(value);
    if (!rec || key.size() != 32 || BlockHash::from_span(key) != rec->header.hash()) {
      load_error = corrupt("block index record " + crypto::to_hex(key) + " is damaged");
      return false;
    }
    records.push_back(*rec);
    return true;
  });
  if (!scan) return std::unexpected(store_error(scan.error()));
  if (load_error) return std::unexpected(*load_error);
  std::sort(records.begin(), records.end(),
            [](const IndexRecord& a, const IndexRecord& b) { return a.header.height < b.header.height; });
  for (const auto& rec : records) {
    if (rec.header.height > 0 && !entries_.contains(rec.header.prev_hash))
      return std::unexpected(corrupt("block index entry at height " + std::to_string(rec.header.height) +
                                     " has no parent"));
    add_entry(rec.header, rec.status, rec.sequence);
  }
  auto g = entries_.find(genesis_hash);
  if (g == entries_.end()) return std::unexpected(corrupt("genesis block missing from the block index"));
  for (const auto& rec : records) mark_chain_data(entries_.at(rec.header.hash()).get());

  // Active chain from the stored tip.
  auto tip_record = store_.get(Column::kMeta, meta_key::bytes(meta_key::kTip));
  if (!tip_record) return std::unexpected(store_error(tip_record.error()));
  if (!tip_record->has_value() || (*tip_record)->size() != 32)
    return std::unexpected(corrupt("tip record is missing or damaged"));
  auto t = entries_.find(BlockHash::from_span(**tip_record));
  if (t == entries_.end()) return std::unexpected(corrupt("stored tip is not in the block index"));
  active_.assign(t->second->height() + 1, nullptr);
  for (BlockEntry* e = t->second.get(); e; e = e->parent) {
    active_[e->height()] = e;
    e->in_active_chain = true;
  }
  if (active_[0] != g->second.get()) return std::unexpected(corrupt("stored tip does not descend from genesis"));

  auto lanes = store_.get(Column::kMeta, meta_key::bytes(meta_key::kStateLanes));
  if (!lanes) return std::unexpected(store_error(lanes.error()));
  if (!lanes->has_value() || (*lanes)->size() != StateHash::kLanes * 2)
    return std::unexpected(corrupt("state hash record is missing or damaged"));
  state_hash_ = StateHash::deserialize(**lanes);
  if (state_hash_.digest() != tip().header.state_root)
    return std::unexpected(corrupt("stored state does not match the tip's state commitment"));

  if (auto r = check_unverified_tip(); !r) return r;

  // A crash between storing a block and connecting it leaves a better branch to activate.
  ChainUpdate update;
  return activate_best_chain(update);
}

void Chain::mark_chain_data(BlockEntry* e) {
  // Iterative: a long run of blocks stored before their parents arrive must not recurse deeply.
  std::vector<BlockEntry*> stack{e};
  while (!stack.empty()) {
    BlockEntry* x = stack.back();
    stack.pop_back();
    if (x->chain_has_data || !x->has_data()) continue;
    if (x->height() > 0 && (!x->parent || !x->parent->chain_has_data)) continue;
    x->chain_has_data = true;
    if (!x->failed()) candidates_.insert(x);
    for (BlockEntry* c : x->children) stack.push_back(c);
  }
}

const StateView& Chain::state() const { return *state_view_; }

const BlockEntry* Chain::find(const BlockHash& hash) const {
  auto it = entries_.find(hash);
  return it == entries_.end() ? nullptr : it->second.get();
}

const BlockEntry* Chain::at_height(std::uint32_t height) const {
  return height < active_.size() ? active_[height] : nullptr;
}

std::vector<const BlockEntry*> Chain::tips() const {
  std::vector<const BlockEntry*> out;
  for (const auto& [hash, e] : entries_)
    if (e->children.empty()) out.push_back(e.get());
  return out;
}

std::int64_t Chain::median_time_past(const BlockEntry& e) {
  std::array<std::int64_t, 11> times;
  std::size_t n = 0;
  for (const BlockEntry* x = &e; x && n < times.size(); x = x->parent) times[n++] = x->header.time;
  std::sort(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(n));
  return times[n / 2];
}

std::uint32_t Chain::next_bits(const BlockEntry& parent) const {
  if (parent.height() == 0) return spec_.genesis_bits;
  return asert_next_bits(spec_.asert_params(parent.block1->header.time), parent.height(), parent.header.time);
}

BlockHeader Chain::next_header(std::int64_t now_s) const {
  BlockHeader h;
  h.version = 1;
  h.height = tip().height() + 1;
  h.prev_hash = tip().hash;
  h.bits = next_bits(tip());
  h.time = static_cast<std::uint32_t>(std::max<std::int64_t>(median_time_past(tip()) + 1, now_s));
  return h;
}

std::expected<crypto::Hash256, BlockFailure> Chain::state_root_after(const Block& block) const {
  auto effects = apply_block(block, spec_, *state_view_);
  if (!effects) return std::unexpected(effects.error());
  StateHash lanes = state_hash_;
  for (const auto& c : effects->changes) lanes.update(c.address, c.before, c.after);
  return lanes.digest();
}

std::expected<BlockEntry*, ChainError> Chain::accept_header_internal(const BlockHeader& header, std::int64_t now_s) {
  const BlockHash hash = header.hash();
  if (auto it = entries_.find(hash); it != entries_.end()) {
    if (it->second->failed())
      return std::unexpected(invalid(BlockFailure{BlockError::kInvalidAncestor, std::nullopt, 0}));
    return it->second.get();
  }
  if (auto r = check_header_standalone(header, spec_); !r) return std::unexpected(invalid(r.error()));
  auto parent_it = entries_.find(header.prev_hash);
  if (parent_it == entries_.end())
    return std::unexpected(ChainError{ChainError::Kind::kInvalid, "unknown parent", std::nullopt});
  BlockEntry* parent = parent_it->second.get();
  if (parent->failed()) return std::unexpected(invalid(BlockFailure{BlockError::kInvalidAncestor, std::nullopt, 0}));
  const ParentContext ctx{parent->height(), median_time_past(*parent), next_bits(*parent)};
  if (auto r = check_header_contextual(header, ctx, now_s, spec_); !r) return std::unexpected(invalid(r.error()));

  BlockEntry* e = add_entry(header, 0, next_sequence_);
  WriteBatch batch;
  batch.put(Column::kBlockIndex, hash.span(), encode_index_record(IndexRecord{header, e->status, e->sequence}));
  if (auto r = store_.write(batch); !r) return std::unexpected(store_error(r.error()));
  return e;
}

std::expected<const BlockEntry*, ChainError> Chain::accept_header(const BlockHeader& header, std::int64_t now_s) {
  auto e = accept_header_internal(header, now_s);
  if (!e) return std::unexpected(e.error());
  return *e;
}

void Chain::hold_orphan(const Block& block) {
  const BlockHash hash = block.hash();
  for (auto [it, end] = orphans_.equal_range(block.header.prev_hash); it != end; ++it)
    if (it->second.hash() == hash) return;
  while (orphan_order_.size() >= options_.max_orphan_blocks && !orphan_order_.empty()) {
    const BlockHash oldest = orphan_order_.front();
    orphan_order_.pop_front();
    for (auto it = orphans_.begin(); it != orphans_.end(); ++it) {
      if (it->second.hash() == oldest) {
        orphans_.erase(it);
        break;
      }
    }
  }
  orphans_.emplace(block.header.prev_hash, block);
  orphan_order_.push_back(hash);
}

std::expected<BlockAcceptResult, ChainError> Chain::accept_one_block(const Block& block, std::int64_t now_s) {
  BlockAcceptResult result;
  const BlockHash hash = block.hash();
  if (auto it = entries_.find(hash); it != entries_.end() && it->second->has_data()) {
    if (it->second->failed())
      return std::unexpected(invalid(BlockFailure{BlockError::kInvalidAncestor, std::nullopt, 0}));
    result.status = AcceptStatus::kDuplicate;
    result.entry = it->second.get();
    return result;
  }
  std::vector<TxId> ids = block.txids();
  if (!entries_.contains(block.header.prev_hash) && !entries_.contains(hash)) {
    // Check what is cheap before holding it, so junk cannot fill the orphan pool.
    if (auto r = check_header_standalone(block.header, spec_); !r) return std::unexpected(invalid(r.error()));
    if (auto r = check_block_body(block, spec_, ids); !r) return std::unexpected(invalid(r.error()));
    hold_orphan(block);
    result.status = AcceptStatus::kOrphan;
    return result;
  }
  auto entry = accept_header_internal(block.header, now_s);
  if (!entry) return std::unexpected(entry.error());
  BlockEntry* e = *entry;
  auto shared = std::make_shared<const Block>(block);
  // A block on the active tip is about to be connected: its signatures start verifying now,
  // while this thread checks and stores it. Whatever happens below, the job ends here or in
  // connect_tip.
  if (e->parent == active_.back()) start_signature_job(hash, shared, ids);
  struct EndJob {
    Chain* chain;
    ~EndJob() { (void)chain->finish_signature_job(); }
  } end_job{this};
  // A body that does not match its header's Merkle root says nothing about the header: it
  // may have been damaged or mutated on the way. Refuse it without marking the header, or
  // whoever sent the mutation would keep the genuine block out of this node for good.
  if (merkle_root(ids) != block.header.tx_root)
    return std::unexpected(invalid(BlockFailure{BlockError::kBadTxRoot, std::nullopt, 0}));
  if (auto r = check_block_body(block, spec_, ids); !r) {
    ChainUpdate ignored;
    if (auto m = mark_invalid(e, r.error(), ignored); !m) return std::unexpected(m.error());
    return std::unexpected(invalid(r.error()));
  }
  e->status |= kStatusHaveData;
  // Ties in work go to the block whose data arrived first (as Bitcoin Core's nSequenceId):
  // with headers-first sync, the order headers arrive in says nothing about which block this
  // node could have built on first.
  e->sequence = next_sequence_++;
  WriteBatch batch;
  batch.put(Column::kBlockData, hash.span(), block.encode());
  batch.put(Column::kBlockIndex, hash.span(), encode_index_record(IndexRecord{e->header, e->status, e->sequence}));
  if (auto r = store_.write(batch); !r) return std::unexpected(store_error(r.error()));
  mark_chain_data(e);
  result.entry = e;
  just_stored_ = JustStored{hash, std::move(shared), std::move(ids)};
  auto activated = activate_best_chain(result.update);
  just_stored_.reset();
  if (!activated) return std::unexpected(activated.error());
  for (const auto& [bad, failure] : result.update.invalidated)
    if (bad == hash) return std::unexpected(invalid(failure));
  return result;
}

std::expected<BlockAcceptResult, ChainError> Chain::accept_block(const Block& block, std::int64_t now_s) {
  auto first = accept_one_block(block, now_s);
  if (!first || first->status != AcceptStatus::kAccepted) return first;
  // Blocks that were waiting for this one (and their children) can be accepted now.
  std::vector<BlockHash> parents{block.hash()};
  while (!parents.empty()) {
    const BlockHash parent = parents.back();
    parents.pop_back();
    auto [it, end] = orphans_.equal_range(parent);
    std::vector<Block> ready;
    for (; it != end; ++it) ready.push_back(std::move(it->second));
    orphans_.erase(parent);
    for (const Block& child : ready) {
      const BlockHash child_hash = child.hash();
      std::erase(orphan_order_, child_hash);
      auto r = accept_one_block(child, now_s);
      if (!r) {
        if (r.error().kind != ChainError::Kind::kInvalid) return std::unexpected(r.error());
        // An invalid orphan is dropped, but reported: its sender was whoever sent it.
        if (r.error().failure) first->update.invalidated.emplace_back(child_hash, *r.error().failure);
        continue;
      }
      auto& u = first->update;
      u.disconnected.insert(u.disconnected.end(), r->update.disconnected.begin(), r->update.disconnected.end());
      u.connected.insert(u.connected.end(), r->update.connected.begin(), r->update.connected.end());
      u.connected_blocks.insert(u.connected_blocks.end(), r->update.connected_blocks.begin(),
                                r->update.connected_blocks.end());
      u.disconnected_txs.insert(u.disconnected_txs.end(), r->update.disconnected_txs.begin(),
                                r->update.disconnected_txs.end());
      u.invalidated.insert(u.invalidated.end(), r->update.invalidated.begin(), r->update.invalidated.end());
      parents.push_back(child_hash);
    }
  }
  return first;
}

std::expected<void, ChainError> Chain::mark_invalid(BlockEntry* e, const BlockFailure& failure, ChainUpdate& update) {
  update.invalidated.emplace_back(e->hash, failure);
  return mark_failed(e);
}

std::expected<void, ChainError> Chain::mark_failed(BlockEntry* e) {
  WriteBatch batch;
  std::vector<BlockEntry*> stack{e};
  e->status |= kStatusFailed;
  while (!stack.empty()) {
    BlockEntry* x = stack.back();
    stack.pop_back();
    if (x != e) x->status |= kStatusFailedChild;
    candidates_.erase(x);
    batch.put(Column::kBlockIndex, x->hash.span(), encode_index_record(IndexRecord{x->header, x->status, x->sequence}));
    for (BlockEntry* c : x->children) stack.push_back(c);
  }
  if (best_header_->failed()) recompute_best_header();
  if (auto r = store_.write(batch); !r) return std::unexpected(store_error(r.error()));
  return {};
}

std::expected<ChainUpdate, ChainError> Chain::invalidate_block(const BlockHash& hash) {
  auto it = entries_.find(hash);
  if (it == entries_.end()) return std::unexpected(ChainError{ChainError::Kind::kUnknownBlock, "Block not found", {}});
  BlockEntry* e = it->second.get();
  if (e->height() == 0) return std::unexpected(ChainError{ChainError::Kind::kRefused, "cannot invalidate the genesis block", {}});
  ChainUpdate update;
  // Off the active chain first (down to e's parent), so the tip never sits on a failed block.
  if (e->in_active_chain) {
    while (active_.back() != e->parent) {
      if (auto r = disconnect_tip(update); !r) return std::unexpected(r.error());
    }
  }
  if (auto r = mark_failed(e); !r) return std::unexpected(r.error());
  if (auto r = activate_best_chain(update); !r) return std::unexpected(r.error());
  return update;
}

std::expected<ChainUpdate, ChainError> Chain::reconsider_block(const BlockHash& hash) {
  auto it = entries_.find(hash);
  if (it == entries_.end()) return std::unexpected(ChainError{ChainError::Kind::kUnknownBlock, "Block not found", {}});
  BlockEntry* e = it->second.get();
  WriteBatch batch;
  std::vector<BlockEntry*> cleared;
  auto clear = [&](BlockEntry* x) {
    if (!x->failed()) return;
    x->status &= static_cast<std::uint8_t>(~(kStatusFailed | kStatusFailedChild));
    batch.put(Column::kBlockIndex, x->hash.span(), encode_index_record(IndexRecord{x->header, x->status, x->sequence}));
    cleared.push_back(x);
  };
  std::vector<BlockEntry*> stack{e};  // e and its descendants (iterative: branches may be long)
  while (!stack.empty()) {
    BlockEntry* x = stack.back();
    stack.pop_back();
    clear(x);
    for (BlockEntry* c : x->children) stack.push_back(c);
  }
  for (BlockEntry* x = e->parent; x != nullptr; x = x->parent) clear(x);
  if (!cleared.empty()) {
    if (auto r = store_.write(batch); !r) return std::unexpected(store_error(r.error()));
  }
  for (BlockEntry* x : cleared)
    if (x->chain_has_data) candidates_.insert(x);
  recompute_best_header();
  ChainUpdate update;
  if (auto r = activate_best_chain(update); !r) return std::unexpected(r.error());
  return update;
}

void Chain::note_verified(const TxId& txid) {
  static constexpr std::size_t kCapacity = 50'000;
  if (!verified_.insert(txid).second) return;
  verified_order_.push_back(txid);
  if (verified_order_.size() > kCapacity) {
    verified_.erase(verified_order_.front());
    verified_order_.pop_front();
  }
}

void Chain::recompute_best_header() {
  best_header_ = active_.front();
  for (const auto& [hash, e] : entries_)
    if (!e->failed() && WorkOrder{}(e.get(), best_header_)) best_header_ = e.get();
}

std::vector<BlockHash> Chain::locator() const {
  std::vector<BlockHash> out;
  std::int64_t h = static_cast<std::int64_t>(height());
  std::int64_t step = 1;
  while (h > 0) {
    out.push_back(active_[static_cast<std::size_t>(h)]->hash);
    if (out.size() >= 10) step *= 2;
    h -= step;
  }
  out.push_back(active_.front()->hash);
  return out;
}

const BlockEntry& Chain::find_fork(const std::vector<BlockHash>& locator) const {
  for (const BlockHash& h : locator) {
    const BlockEntry* e = find(h);
    if (e && e->in_active_chain) return *e;
  }
  return *active_.front();
}

std::expected<void, ChainError> Chain::activate_best_chain(ChainUpdate& update) {
  for (;;) {
    if (candidates_.empty()) return {};
    BlockEntry* best = *candidates_.begin();
    BlockEntry* current = active_.back();
    if (best == current) return {};
    if (!WorkOrder{}(best, current)) return {};  // the tip is at least as good
    // Walk back to the fork point.
    const BlockEntry* fork = best;
    while (fork->height() > current->height()) fork = fork->parent;
    while (!fork->in_active_chain) fork = fork->parent;
    while (active_.back() != fork) {
      if (auto r = disconnect_tip(update); !r) return r;
    }
    std::vector<BlockEntry*> path;
    for (BlockEntry* x = best; x != fork; x = x->parent) path.push_back(x);
    std::reverse(path.begin(), path.end());
    for (BlockEntry* x : path) {
      auto ok = connect_tip(x, update);
      if (!ok) return std::unexpected(ok.error());
      if (!*ok) break;  // x was invalid and is marked; choose again
    }
  }
}

std::expected<bool, ChainError> Chain::connect_tip(BlockEntry* e, ChainUpdate& update) {
  auto fail = [&](const BlockFailure& f) -> std::expected<bool, ChainError> {
    if (auto r = mark_invalid(e, f, update); !r) return std::unexpected(r.error());
    return false;
  };
  std::shared_ptr<const Block> block;
  std::vector<TxId> ids;
  if (just_stored_ && just_stored_->hash == e->hash) {
    // The block accept_block just checked and wrote: no need to read it back or check it again.
    block = just_stored_->block;
    ids = std::move(just_stored_->txids);
    just_stored_.reset();
  } else {
    auto stored = read_block(e->hash);
    if (!stored) return std::unexpected(stored.error());
    if (!stored->has_value()) return std::unexpected(corrupt("block data missing for " + short_hash(e->hash)));
    block = std::make_shared<const Block>(std::move(**stored));
    ids = block->txids();
    if (auto r = check_block_body(*block, spec_, ids); !r) return fail(r.error());
  }

  // Signatures are checked on the executor's threads while this thread applies the block
  // (on an InlineExecutor they are checked in finish_signature_job, on this thread); a
  // bad signature wins over any other failure so every node reports the same rule.
  if (!job_ || job_->hash != e->hash) {
    (void)finish_signature_job();  // one for another block: its answer no longer matters
    start_signature_job(e->hash, block, ids);
  }
  auto effects = apply_block(*block, spec_, *state_view_);
  StateHash lanes = state_hash_;
  if (effects)
    for (const auto& c : effects->changes) lanes.update(c.address, c.before, c.after);
  auto read_error = state_view_->take_error();
  if (read_error || !effects || lanes.digest() != block->header.state_root) {
    if (const auto bad = finish_signature_job()) return fail(*bad);
    if (read_error) return std::unexpected(ChainError{ChainError::Kind::kStore, *read_error, {}});
    if (!effects) return fail(effects.error());
    return fail(BlockFailure{BlockError::kBadStateRoot, std::nullopt, 0});
  }

  // Everything but the signatures holds. The block is written now, while the workers still
  // verify, and marked unverified: if this process dies before the check ends, the next
  // start checks the tip again (check_unverified_tip). A bad signature undoes the write.
  // A block with no signature left to check (a coinbase alone, or transactions this node
  // verified in its mempool) is written as verified, in one write.
  const bool verifying = job_ && (job_->all ? job_->block->txs.size() > 1 : !job_->unchecked.empty());
  WriteBatch batch;
  std::vector<UndoEntry> undo;
  undo.reserve(effects->changes.size());
  for (const auto& c : effects->changes) {
    undo.push_back(UndoEntry{c.address, c.before});
    if (c.after.empty()) {
      batch.erase(Column::kState, c.address.span());
    } else {
      batch.put(Column::kState, c.address.span(), encode_account(c.after));
    }
  }
  batch.put(Column::kUndo, e->hash.span(), encode_undo(undo));
  index_records(batch, *e, *block, ids, effects->senders, /*erase=*/false);
  const std::uint8_t new_status = e->status | kStatusValid;
  batch.put(Column::kBlockIndex, e->hash.span(), encode_index_record(IndexRecord{e->header, new_status, e->sequence}));
  batch.put(Column::kMeta, meta_key::bytes(meta_key::kTip), e->hash.span());
  batch.put(Column::kMeta, meta_key::bytes(meta_key::kStateLanes), lanes.serialize());
  if (verifying) batch.put(Column::kMeta, meta_key::bytes(meta_key::kUnverifiedTip), e->hash.span());
  const auto written = store_.write(batch);
  const auto bad = finish_signature_job();
  if (!written) return std::unexpected(store_error(written.error()));
  if (bad) {
    WriteBatch rollback;
    for (const auto& c : effects->changes) {
      if (c.before.empty()) {
        rollback.erase(Column::kState, c.address.span());
      } else {
        rollback.put(Column::kState, c.address.span(), encode_account(c.before));
      }
    }
    rollback.erase(Column::kUndo, e->hash.span());
    index_records(rollback, *e, *block, ids, effects->senders, /*erase=*/true);
    rollback.put(Column::kBlockIndex, e->hash.span(), encode_index_record(IndexRecord{e->header, e->status, e->sequence}));
    rollback.put(Column::kMeta, meta_key::bytes(meta_key::kTip), e->parent->hash.span());
    rollback.put(Column::kMeta, meta_key::bytes(meta_key::kStateLanes), state_hash_.serialize());
    rollback.erase(Column::kMeta, meta_key::bytes(meta_key::kUnverifiedTip));
    if (auto r = store_.write(rollback); !r) return std::unexpected(store_error(r.error()));
    return fail(*bad);
  }
  if (verifying) {
    WriteBatch verified;
    verified.erase(Column::kMeta, meta_key::bytes(meta_key::kUnverifiedTip));
    if (auto r = store_.write(verified); !r) return std::unexpected(store_error(r.error()));
  }

  e->status = new_status;
  state_hash_ = lanes;
  active_.push_back(e);
  e->in_active_chain = true;
  update.connected.push_back(e);
  update.connected_blocks.push_back(std::move(block));
  return true;
}

void Chain::start_signature_job(const BlockHash& hash, std::shared_ptr<const Block> block,
                                std::span<const TxId> ids) {
  job_.emplace();
  SignatureJob& job = *job_;
  job.hash = hash;
  job.block = std::move(block);
  // Transactions whose signatures this node already checked (in its mempool) are skipped:
  // a txid covers the signature, so the same txid means the same verified signature.
  job.all = verified_.empty();
  if (!job.all) {
    for (std::size_t i = 1; i < job.block->txs.size(); ++i) {
      if (verified_.contains(ids[i])) continue;
      job.unchecked.push_back(job.block->txs[i]);
      job.unchecked_pos.push_back(i);
    }
  }
  // (The body may not have been checked yet: it may even lack its coinbase.)
  const std::span<const Transaction> txs(job.block->txs);
  verifier_.start(job.all ? txs.subspan(std::min<std::size_t>(1, txs.size())) : std::span<const Transaction>(job.unchecked));
}

std::optional<BlockFailure> Chain::finish_signature_job() {
  if (!job_) return std::nullopt;
  const auto bad = verifier_.finish();
  std::optional<BlockFailure> failure;
  if (bad) {
    const std::size_t position = job_->all ? *bad + 1 : job_->unchecked_pos[*bad];
    failure = BlockFailure{BlockError::kInvalidTransaction, TxError::kBadSignature, position};
  }
  job_.reset();
  return failure;
}

void Chain::index_records(WriteBatch& batch, const BlockEntry& e, const Block& block, std::span<const TxId> ids,
                          std::span<const crypto::Address> senders, bool erase) const {
  if (!options_.tx_index && !options_.address_index) return;
  auto put = [&](Column c, crypto::ByteSpan key, crypto::ByteSpan value) {
    if (erase) {
      batch.erase(c, key);
    } else {
      batch.put(c, key, value);
    }
  };
  for (std::uint32_t i = 0; i < block.txs.size(); ++i) {
    const Transaction& tx = block.txs[i];
    const TxId& id = ids[i];
    if (options_.tx_index) put(Column::kTxIndex, id.span(), encode_tx_location(TxLocation{e.hash, i}));
    if (options_.address_index) {
      put(Column::kAddressHistory, address_history_key(tx.recipient, e.height(), i), id.span());
      if (!tx.is_coinbase()) put(Column::kAddressHistory, address_history_key(senders[i], e.height(), i), id.span());
    }
  }
}

std::expected<void, ChainError> Chain::disconnect_tip(ChainUpdate& update) {
  BlockEntry* e = active_.back();
  if (e->height() == 0) return std::unexpected(corrupt("attempt to disconnect genesis"));
  auto stored = read_block(e->hash);
  if (!stored) return std::unexpected(stored.error());
  if (!stored->has_value()) return std::unexpected(corrupt("block data missing for " + short_hash(e->hash)));
  const Block& block = **stored;
  auto undo_bytes = store_.get(Column::kUndo, e->hash.span());
  if (!undo_bytes) return std::unexpected(store_error(undo_bytes.error()));
  if (!undo_bytes->has_value()) return std::unexpected(corrupt("undo data missing for " + short_hash(e->hash)));
  auto undo = decode_undo(**undo_bytes);
  if (!undo) return std::unexpected(corrupt("undo data damaged for " + short_hash(e->hash)));

  WriteBatch batch;
  StateHash lanes = state_hash_;
  for (const auto& u : *undo) {
    const Account now = state_view_->get(u.address);
    lanes.update(u.address, now, u.before);
    if (u.before.empty()) {
      batch.erase(Column::kState, u.address.span());
    } else {
      batch.put(Column::kState, u.address.span(), encode_account(u.before));
    }
  }
  if (auto err = state_view_->take_error()) return std::unexpected(ChainError{ChainError::Kind::kStore, *err, {}});
  if (lanes.digest() != e->parent->header.state_root)
    return std::unexpected(corrupt("undo data of " + short_hash(e->hash) + " does not restore the parent's state"));
  batch.erase(Column::kUndo, e->hash.span());
  std::vector<crypto::Address> senders(block.txs.size());
  for (std::size_t i = 1; i < block.txs.size(); ++i) senders[i] = crypto::address_of(block.txs[i].sender);
  index_records(batch, *e, block, block.txids(), senders, /*erase=*/true);
  batch.put(Column::kMeta, meta_key::bytes(meta_key::kTip), e->parent->hash.span());
  batch.put(Column::kMeta, meta_key::bytes(meta_key::kStateLanes), lanes.serialize());
  if (auto r = store_.write(batch); !r) return std::unexpected(store_error(r.error()));

  state_hash_ = lanes;
  active_.pop_back();
  e->in_active_chain = false;
  update.disconnected.push_back(e);
  for (std::size_t i = 1; i < block.txs.size(); ++i) update.disconnected_txs.push_back(block.txs[i]);
  return {};
}

// A tip written by connect_tip whose signature check never finished (the process died in
// between): check it now, and take it back off the chain if a signature fails.
std::expected<void, ChainError> Chain::check_unverified_tip() {
  auto marker = store_.get(Column::kMeta, meta_key::bytes(meta_key::kUnverifiedTip));
  if (!marker) return std::unexpected(store_error(marker.error()));
  if (!marker->has_value()) return {};
  // The marker only ever names the tip (the undo of a bad block removes it in the same
  // batch), so whatever it holds, a damaged value included, the tip is checked again.
  if (tip().height() > 0) {
    BlockEntry* e = active_.back();
    auto stored = read_block(e->hash);
    if (!stored) return std::unexpected(stored.error());
    if (!stored->has_value()) return std::unexpected(corrupt("block data missing for " + short_hash(e->hash)));
    const std::span<const Transaction> txs((*stored)->txs);
    if (const auto bad = verifier_.verify(txs.subspan(std::min<std::size_t>(1, txs.size())))) {
      ChainUpdate update;
      if (auto r = disconnect_tip(update); !r) return r;
      const BlockFailure failure{BlockError::kInvalidTransaction, TxError::kBadSignature, *bad + 1};
      if (auto r = mark_invalid(e, failure, update); !r) return r;
    }
  }
  WriteBatch batch;
  batch.erase(Column::kMeta, meta_key::bytes(meta_key::kUnverifiedTip));
  if (auto r = store_.write(batch); !r) return std::unexpected(store_error(r.error()));
  return {};
}

std::expected<std::optional<Block>, ChainError> Chain::read_block(const BlockHash& hash) const {
  auto bytes = store_.get(Column::kBlockData, hash.span());
  if (!bytes) return std::unexpected(store_error(bytes.error()));
  if (!bytes->has_value()) return std::optional<Block>{};
  auto block = Block::decode(**bytes, kMaxBlockTxsDecode);
  if (!block || block->hash() != hash) return std::unexpected(corrupt("stored block " + short_hash(hash) + " is damaged"));
  return std::optional<Block>(std::move(*block));
}

std::expected<Account, ChainError> Chain::account(const crypto::Address& address) const {
  const Account a = state_view_->get(address);
  if (auto err = state_view_->take_error()) return std::unexpected(ChainError{ChainError::Kind::kStore, *err, {}});
  return a;
}

std::expected<std::optional<TxLocation>, ChainError> Chain::find_transaction(const TxId& txid) const {
  if (!options_.tx_index) return std::optional<TxLocation>{};
  auto bytes = store_.get(Column::kTxIndex, txid.span());
  if (!bytes) return std::unexpected(store_error(bytes.error()));
  if (!bytes->has_value()) return std::optional<TxLocation>{};
  auto loc = decode_tx_location(**bytes);
  if (!loc) return std::unexpected(corrupt("transaction index record damaged"));
  return std::optional<TxLocation>(*loc);
}

std::expected<std::vector<TxId>, ChainError> Chain::address_history(const crypto::Address& address,
                                                                   std::uint32_t from_height,
                                                                   std::size_t limit) const {
  std::vector<TxId> out;
  if (!options_.address_index) return out;
  const Bytes start = address_history_key(address, from_height, 0);
  std::optional<ChainError> err;
  auto r = store_.for_each_prefix(Column::kAddressHistory, address.span(), [&](ByteSpan key, ByteSpan value) {
    if (std::lexicographical_compare(key.begin(), key.end(), start.begin(), start.end())) return true;
    if (value.size() != 32) {
      err = corrupt("address history record damaged");
      return false;
    }
    out.push_back(TxId::from_span(value));
    return out.size() < limit;
  });
  if (!r) return std::unexpected(store_error(r.error()));
  if (err) return std::unexpected(*err);
  return out;
}

}  // namespace tally::ledger
