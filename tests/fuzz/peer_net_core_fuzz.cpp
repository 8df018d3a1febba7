// Fuzz target: arbitrary bytes from one connection into a NetCore (the whole P2P protocol
// core: handshake, gossip, relay, sync, misbehaviour), with a real chain on RocksDB.
// Byte 0 chooses whether the target first completes a valid handshake (so the fuzzer can
// reach the post-handshake handlers) and the chunk sizes the rest is fed in. Invariants:
// never crash; every action names a live peer; every frame the core sends decodes.
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "ledger/mempool.h"
#include "ledger/rocksdb_store.h"
#include "p2p/net_core.h"
#include "support/temp_dir.h"

namespace {

using namespace tally;

ledger::ChainSpec fuzz_spec() {
  ledger::ChainSpec s;
  s.name = "tally-fuzz";
  s.chain_id = 99;
  s.address_prefix = "tlt";
  s.network_magic = 0x54455354;
  s.genesis_time = 1'700'000'000;
  s.genesis_bits = 0x207fffff;
  s.pow_limit_bits = 0x207fffff;
  s.block_interval_s = 10;
  s.asert_half_life_s = 3600;
  s.subsidy = 5000;
  s.max_block_txs = 1000;
  s.min_fee = 10;
  s.max_future_drift_s = 60;
  s.default_p2p_port = 18000;
  s.default_rpc_port = 18001;
  return s;
}

struct World {
  World() : spec(fuzz_spec()), dir("tally-fuzz-netcore"), mempool(spec), book(7) {
    store = std::move(*ledger::RocksDbStore::open((dir / "chain").string(), {}));
    chain = std::move(*ledger::Chain::open(spec, *store, {}));
    core = std::make_unique<p2p::NetCore>(p2p::NetConfig{}, *chain, mempool, book, 1, now_ms);
  }
  ledger::ChainSpec spec;
  support::TempDir dir;  // declared before the store: removed at exit once the store is closed
  std::unique_ptr<ledger::RocksDbStore> store;
  std::unique_ptr<ledger::Chain> chain;
  ledger::Mempool mempool;
  p2p::AddrBook book;
  std::unique_ptr<p2p::NetCore> core;
  std::int64_t now_ms = (1'700'000'000LL + 100) * 1000;
};

void drain(World& w, p2p::PeerId live) {
  for (auto& action : w.core->take_actions()) {
    if (auto* s = std::get_if<p2p::SendAction>(&action)) {
      if (s->peer != live) std::abort();
      p2p::FrameDecoder d(w.spec.network_magic);
      d.feed(*s->frame);
      auto f = d.next();
      if (!f || !f->has_value() || d.buffered() != 0) std::abort();  // the core sent a bad frame
    } else if (auto* dc = std::get_if<p2p::DisconnectAction>(&action)) {
      if (dc->peer != live) std::abort();
    }
  }
  (void)w.core->take_events();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World w;
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  w.now_ms += 1000;
  const auto remote = p2p::NetAddress::ipv4(0x7f000001, static_cast<std::uint16_t>(40000 + (w.now_ms / 1000) % 1000));
  const p2p::PeerId id = w.core->on_connected(remote, /*inbound=*/true, w.now_ms);
  drain(w, id);
  if (mode & 1) {
    p2p::VersionMsg v;
    v.chain_id = w.spec.chain_id;
    v.genesis_hash = w.chain->genesis().hash;
    v.listen_port = static_cast<std::uint16_t>(1 + (w.now_ms / 1000) % 60000);  // a fresh identity: no ban carry-over
    v.nonce = 42;
    auto frame = p2p::encode_frame(w.spec.network_magic, v);
    w.core->on_bytes(id, frame, w.now_ms);
    auto verack = p2p::encode_frame(w.spec.network_magic, p2p::VerackMsg{});
    w.core->on_bytes(id, verack, w.now_ms);
    drain(w, id);
  }
  const std::size_t chunk = 1 + (mode >> 1);
  for (std::size_t pos = 1; pos < size; pos += chunk) {
    const std::size_t n = std::min(chunk, size - pos);
    w.core->on_bytes(id, crypto::ByteSpan(data + pos, n), w.now_ms);
    drain(w, id);
  }
  w.now_ms += 30'000;
  w.core->on_tick(w.now_ms);
  drain(w, id);
  w.core->on_disconnected(id, w.now_ms);
  drain(w, 0);
  return 0;
}
