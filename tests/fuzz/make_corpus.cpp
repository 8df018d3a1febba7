// Writes the seed corpora of tests/fuzz/corpus/ (deterministic: fixed keys, fixed signing
// randomness), so they can be regenerated after an encoding change:
//
//   build/<preset>/bin/tally_fuzz_make_corpus tests/fuzz/corpus [target...]
//
// With target names (e.g. addr_book_deserialize) only those corpora are written. Entries are
// small valid encodings plus a few near-misses around each decoder's edges. The peers.dat
// corpus (addr_book_deserialize) is built through AddrBook's own serialize(), and its
// near-misses by generic edits of it, so that it follows any change of that format.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/address.h"
#include "crypto/hex.h"
#include "ledger/block.h"
#include "ledger/merkle.h"
#include "p2p/addr_book.h"

using namespace tally;
using ledger::Bytes;

namespace {

std::filesystem::path g_root;
std::vector<std::string> g_only;  // target names to write; empty: all

void write(const std::string& dir, const std::string& name, ledger::ByteSpan bytes) {
  if (!g_only.empty() && std::find(g_only.begin(), g_only.end(), dir) == g_only.end()) return;
  const auto d = g_root / dir;
  std::filesystem::create_directories(d);
  std::ofstream f(d / name, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
void write_text(const std::string& dir, const std::string& name, std::string_view text) {
  write(dir, name, ledger::ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

crypto::SecretKey key(std::uint8_t fill) {
  std::array<std::uint8_t, 32> b;
  b.fill(fill);
  return *crypto::SecretKey::from_bytes(b);
}

// make_transfer, re-signed with fixed auxiliary randomness so the bytes are reproducible.
ledger::Transaction transfer(std::uint8_t from, std::uint8_t to, ledger::Amount amount, std::uint64_t nonce) {
  const auto k = key(from);
  auto tx = ledger::make_transfer(k, 1, crypto::address_of(key(to).public_key()), amount, 1, nonce);
  tx.signature = k.sign(tx.signature_hash().span(), std::array<std::uint8_t, 32>{});
  return tx;
}

ledger::Block block(std::size_t n_transfers) {
  ledger::Block b;
  b.header.version = 1;
  b.header.height = 7;
  b.header.prev_hash.bytes.fill(0x11);
  b.header.time = 1'700'000'000;
  b.header.bits = 0x207fffff;
  b.txs.push_back(ledger::make_coinbase(1, 7, crypto::address_of(key(3).public_key()), 50));
  for (std::size_t i = 0; i < n_transfers; ++i) b.txs.push_back(transfer(1, 2, 10 + i, i));
  b.header.tx_root = b.compute_tx_root();
  b.header.state_root.bytes.fill(0x22);
  return b;
}

// peers.dat: books built through AddrBook's API, and generic edits of their bytes.
void write_addr_books() {
  const std::string dir = "addr_book_deserialize";
  using p2p::AddrBook;
  using p2p::NetAddress;
  auto v4 = [](std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
    return NetAddress::ipv4(std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 | d, port);
  };
  auto v6 = [](std::uint8_t first, std::uint8_t last, std::uint16_t port) {
    NetAddress a;
    a.ip[0] = 0x20;
    a.ip[1] = first;
    a.ip[15] = last;
    a.port = port;
    return a;
  };
  const std::uint64_t key = 0x7a11'0000'feed'beefULL;
  const NetAddress source = v4(10, 0, 0, 1, 17077);

  const AddrBook empty(key);
  write(dir, "empty", empty.serialize());

  AddrBook one(key);
  one.add(v4(192, 0, 2, 7, 17077), source, 1'700'000'000);
  write(dir, "one_new", one.serialize());

  AddrBook mixed(key);
  for (std::uint8_t i = 1; i <= 12; ++i) mixed.add(v4(198, 51, i, i, static_cast<std::uint16_t>(17000 + i)), source, 1'700'000'000 + i);
  mixed.add(v6(0x01, 0x02, 17077), v6(0x01, 0x01, 17077), 1'700'000'100);
  mixed.add(v6(0xaa, 0xff, 8333), source, 0);
  mixed.add(v4(127, 0, 0, 1, 17080), v4(127, 0, 0, 1, 17081), 1'700'000'200);
  NetAddress loop6;
  loop6.ip[15] = 1;
  loop6.port = 17082;
  mixed.add(loop6, loop6, 1'700'000'300);
  for (std::uint8_t i = 1; i <= 4; ++i) mixed.mark_good(v4(198, 51, i, i, static_cast<std::uint16_t>(17000 + i)), 1'000 * i);
  mixed.mark_failed(v4(198, 51, 9, 9, 17009), 5'000);
  mixed.mark_failed(v4(198, 51, 9, 9, 17009), 6'000);
  mixed.mark_good(loop6, 7'000);
  // Node keys (peers.dat version 2): one heard with an address, one verified by a handshake.
  crypto::CompressedPublicKey heard, verified;
  heard.bytes.fill(0x11);
  heard.bytes[0] = 2;
  verified.bytes.fill(0x22);
  verified.bytes[0] = 3;
  mixed.add(v4(198, 51, 20, 20, 17020), source, 1'700'000'400, heard);
  mixed.add(v4(198, 51, 21, 21, 17021), source, 1'700'000'401);
  mixed.mark_good(v4(198, 51, 21, 21, 17021), 8'000, verified);
  write(dir, "mixed", mixed.serialize());

  // Entries from one source, so that they share 8 buckets and some slots collide (kept
  // under 4 KB, the replay driver's input limit).
  AddrBook full(key);
  for (std::uint32_t i = 0; i < 45; ++i) {
    const NetAddress a = v4(static_cast<std::uint8_t>(1 + i), static_cast<std::uint8_t>(i), 0, 1,
                            static_cast<std::uint16_t>(1 + i));
    full.add(a, v4(100, 1, 1, 1, 17077), 1'700'000'000 + i);
    if (i % 5 == 0) full.mark_good(a, i);
  }
  write(dir, "many", full.serialize());
  // The same bytes under another bucketing key (bytes 1..8 follow the version byte): every
  // entry moves, and those that now collide are dropped on load.
  Bytes rekeyed = full.serialize();
  rekeyed[1] ^= 0x5a;
  write(dir, "many_rekeyed", rekeyed);

  // Near-misses, from the bytes of the books above.
  const Bytes zero_bytes = empty.serialize();
  const Bytes one_bytes = one.serialize();
  const std::size_t header = zero_bytes.size();  // version, key, count 0
  const Bytes entry(one_bytes.begin() + static_cast<std::ptrdiff_t>(header), one_bytes.end());
  Bytes bad_version = one_bytes;
  bad_version[0] ^= 0xff;
  write(dir, "bad_version", bad_version);
  write(dir, "truncated_entry", ledger::ByteSpan(one_bytes).first(one_bytes.size() - 1));
  write(dir, "truncated_key", ledger::ByteSpan(one_bytes).first(5));
  Bytes trailing = one_bytes;
  trailing.push_back(0);
  write(dir, "trailing_byte", trailing);
  // The header with a count of 2, then the same entry twice.
  Bytes twice(zero_bytes.begin(), zero_bytes.end() - 1);
  twice.push_back(2);
  twice.insert(twice.end(), entry.begin(), entry.end());
  twice.insert(twice.end(), entry.begin(), entry.end());
  write(dir, "duplicate_entry", twice);
  Bytes short_count(zero_bytes.begin(), zero_bytes.end() - 1);
  short_count.push_back(3);
  short_count.insert(short_count.end(), entry.begin(), entry.end());
  write(dir, "count_beyond_data", short_count);
  Bytes huge_count(zero_bytes.begin(), zero_bytes.end() - 1);
  for (std::uint8_t b : {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}) huge_count.push_back(b);
  write(dir, "count_huge", huge_count);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus root> [target...]\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  for (int i = 2; i < argc; ++i) g_only.emplace_back(argv[i]);

  write_addr_books();

  // Transactions.
  write("transaction_decode", "transfer", transfer(1, 2, 1000, 0).encode());
  write("transaction_decode", "coinbase", ledger::make_coinbase(1, 42, crypto::address_of(key(2).public_key()), 50).encode());
  const Bytes tx = transfer(4, 5, 7, 9).encode();
  write("transaction_decode", "truncated", ledger::ByteSpan(tx).first(100));

  // Headers.
  write("header_decode", "header", block(1).header.encode());
  ledger::BlockHeader zero;
  write("header_decode", "zero", zero.encode());

  // Blocks.
  write("block_decode", "empty", block(0).header.encode());  // header only: no count
  ledger::Block no_txs = block(0);
  no_txs.txs.clear();
  write("block_decode", "no_txs", no_txs.encode());
  write("block_decode", "coinbase_only", block(0).encode());
  write("block_decode", "three_txs", block(2).encode());
  {
    // A count of 253 (three-byte form) with a single transaction behind it.
    ledger::Writer w;
    block(0).header.encode(w);
    w.compact_size(253);
    block(0).txs[0].encode(w);
    write("block_decode", "count_253_short", w.data());
  }

  // Compact sizes, at each width boundary, plus non-minimal forms.
  const std::uint64_t values[] = {0, 0xfc, 0xfd, 0xffff, 0x10000, 0xffffffff, 0x100000000};
  ledger::Writer all;
  for (std::uint64_t v : values) {
    ledger::Writer w;
    w.compact_size(v);
    all.compact_size(v);
    char name[32];
    std::snprintf(name, sizeof name, "value_%llx", static_cast<unsigned long long>(v));
    write("compact_size", name, w.data());
  }
  write("compact_size", "all_widths", all.data());
  write("compact_size", "non_minimal_3", Bytes{0xfd, 0xfc, 0x00});
  write("compact_size", "non_minimal_9", Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00});

  // Addresses.
  const std::string addr = crypto::encode_address(crypto::address_of(key(1).public_key()), "tly");
  write_text("address_decode", "lower", addr);
  std::string upper = addr;
  for (char& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  write_text("address_decode", "upper", upper);
  write_text("address_decode", "zero", crypto::encode_address(crypto::Address{}, "tly"));
  write_text("address_decode", "other_chain", crypto::encode_address(crypto::address_of(key(2).public_key()), "tlt"));

  // Hex.
  write_text("hex_decode", "hash", crypto::to_hex(ledger::merkle_root(block(2).txids())));
  write_text("hex_decode", "mixed_case", "00ffDEADbeef");
  write_text("hex_decode", "odd", "abc");
  write_text("hex_decode", "invalid", "0g");
  return 0;
}
