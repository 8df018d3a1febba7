// Virtual processing time: what handling a message costs a node, so that propagation includes
// each hop's validation delay as on a real network. While a node is busy, frames that reach it
// wait; what it sends as a result leaves when the work is done.
//
// The defaults were measured with tally-bench on the project's 2-core reference machine
// (docs/STUDY.md, "tally-sim", gives the commands): BM_Connect of a block whose signatures
// were already checked in the mempool costs about 8 us per transaction plus a fixed part;
// mempool accept is one Schnorr verification plus the rules, about 35 us; decoding runs at
// several hundred MB/s. Plain data; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tally::sim {

struct ProcessingModel {
  std::int64_t block_base_us = 300;   // per connected block: header checks, state hash, write
  std::int64_t block_per_tx_us = 8;   // per transaction of a connected block (signature cached)
  std::int64_t tx_accept_us = 35;     // per transaction accepted into the mempool
  double per_byte_us = 0.002;         // decoding, per byte of every frame received

  bool enabled() const { return block_base_us > 0 || block_per_tx_us > 0 || tx_accept_us > 0 || per_byte_us > 0; }
  std::int64_t frame_us(std::size_t bytes) const {
    return static_cast<std::int64_t>(per_byte_us * static_cast<double>(bytes));
  }
};

}  // namespace tally::sim
