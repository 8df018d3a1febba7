// Transaction Merkle root that cannot be malleated by duplicating leaves.
//
// Bitcoin pairs an odd last node with itself, so [a, b, c] and [a, b, c, c] share a root
// (CVE-2012-2459). Here an odd last node is carried up unchanged, inner nodes are
// tagged_hash("Tally/MerkleNode", left || right) (never equal to a txid, a SHA-256d of 144
// bytes), and the root commits to the leaf count:
//   root = tagged_hash("Tally/MerkleRoot", u64 count || tree top), zero hash for no leaves.
#pragma once

#include <span>

#include "ledger/transaction.h"

namespace tally::ledger {

Hash256 merkle_root(std::span<const TxId> leaves);

}  // namespace tally::ledger
