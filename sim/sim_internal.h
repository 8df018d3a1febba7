// The Simulator's private types, shared by its source files. Not part of the library's
// interface.
#pragma once

#include <cstdint>
#include <memory>

#include "crypto/bytes.h"
#include "p2p/messages.h"
#include "sim/simulator.h"

namespace tally::sim {

// One connection: end 0 dialed end 1. Each end has the peer id its core gave the other.
struct Simulator::Link {
  std::uint32_t end[2] = {0, 0};
  p2p::PeerId peer[2] = {0, 0};
  std::uint32_t boot[2] = {0, 0};            // each end's boot when the link was made
  bool open[2] = {true, true};               // that end has not closed it
  std::int64_t last_arrival_us[2] = {0, 0};  // frames from end i arrive in order (TCP)
};

enum class EvKind : std::uint8_t {
  kFrame,    // a frame from end `dir` of `link` reaches the other end
  kClose,    // end `dir` of `link` learns that the other end closed
  kConnect,  // node's dial of `address` completes (or fails)
  kTick,     // node's protocol timer
  kWake,     // node's processing is done: frames waiting in its inbox go in
  kMine,     // the network finds a block (one Poisson process, miner drawn by hash share)
  kLoad,     // a transaction is submitted
  kAction,   // config.actions[aux]
  kOffline,  // node leaves (a persona's offline window)
  kOnline,   // node comes back; aux = 1 keeps its state
};

struct Simulator::Ev {
  EvKind kind = EvKind::kTick;
  std::uint8_t dir = 0;
  std::uint32_t node = 0;
  std::uint32_t link = 0;
  std::uint32_t boot = 0;
  std::uint32_t aux = 0;
  std::shared_ptr<const crypto::Bytes> frame;
  p2p::NetAddress address;
};

inline constexpr std::uint32_t kNoNode = 0xffffffffu;
inline constexpr std::uint16_t kListenPort = 8333;

}  // namespace tally::sim
