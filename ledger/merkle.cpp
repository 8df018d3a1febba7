#include "ledger/merkle.h"

#include <vector>

#include "crypto/sha256.h"

namespace tally::ledger {

Hash256 merkle_root(std::span<const TxId> leaves) {
  if (leaves.empty()) return Hash256{};
  static const crypto::TaggedHasher node_hasher("Tally/MerkleNode");
  static const crypto::TaggedHasher root_hasher("Tally/MerkleRoot");

  std::vector<Hash256> level(leaves.begin(), leaves.end());
  std::uint8_t pair[64];
  while (level.size() > 1) {
    std::size_t out = 0;
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) {
      std::memcpy(pair, level[i].data(), 32);
      std::memcpy(pair + 32, level[i + 1].data(), 32);
      level[out++] = node_hasher.hash(pair);
    }
    if (level.size() % 2 == 1) level[out++] = level.back();  // carried up, not duplicated
    level.resize(out);
  }
  Writer w(40);
  w.u64(leaves.size());
  w.fixed(level[0]);
  return root_hasher.hash(w.data());
}

}  // namespace tally::ledger
