// Writes the seed corpora of tests/fuzz/corpus/ (deterministic: fixed keys, fixed signing
// randomness), so they can be regenerated after an encoding change:
//
//   build/<preset>/tests/fuzz/tally_fuzz_make_corpus tests/fuzz/corpus
//
// Entries are small valid encodings plus a few near-misses around each decoder's edges.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "crypto/address.h"
#include "crypto/hex.h"
#include "ledger/block.h"
#include "ledger/merkle.h"

using namespace tally;
using ledger::Bytes;

namespace {

std::filesystem::path g_root;

void write(const std::string& dir, const std::string& name, ledger::ByteSpan bytes) {
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

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus root>\n", argv[0]);
    return 2;
  }
  g_root = argv[1];

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
