// In-memory node of the block tree: one per known header, linked to its parent, with the
// cumulative work of its branch and its validation status. Owned by Chain; pointers stay
// valid for the Chain's lifetime. Not thread-safe (the chain's thread only).
#pragma once

#include <cstdint>
#include <vector>

#include "ledger/block.h"
#include "ledger/pow.h"

namespace tally::ledger {

enum BlockStatus : std::uint8_t {
  kStatusHaveData = 1,     // the full block is stored
  kStatusValid = 2,        // has been connected successfully at least once
  kStatusFailed = 4,       // breaks a rule
  kStatusFailedChild = 8,  // descends from a failed block
};

struct BlockEntry {
  BlockHeader header;
  BlockHash hash;
  BlockEntry* parent = nullptr;
  const BlockEntry* block1 = nullptr;  // this branch's block at height 1 (ASERT anchor)
  std::vector<BlockEntry*> children;
  Uint256 chain_work;
  std::uint64_t sequence = 0;  // order first seen: breaks ties in chain work
  std::uint8_t status = 0;
  bool chain_has_data = false;  // this block and all its ancestors are stored
  bool in_active_chain = false;

  std::uint32_t height() const { return header.height; }
  bool has_data() const { return status & kStatusHaveData; }
  bool failed() const { return status & (kStatusFailed | kStatusFailedChild); }
  // Ancestor at `height` (self when equal). REQUIRES: height <= this->height().
  const BlockEntry* ancestor(std::uint32_t h) const {
    const BlockEntry* e = this;
    while (e && e->height() > h) e = e->parent;
    return e;
  }
};

}  // namespace tally::ledger
