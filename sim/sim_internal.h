// The Simulator's private types, shared by its source files. Not part of the library's
// interface.
#pragma once

#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "p2p/messages.h"
#include "sim/event_queue.h"
#include "sim/simulator.h"

namespace tally::sim {

// One connection: end 0 dialed end 1. Each end has the peer id its core gave the other. An
// end's fields are written only by the lane of that end's node (open, peer) or of the sender
// (last_arrival_us of its direction), so the two ends may run on different threads.
struct SimLink {
  std::uint32_t end[2] = {0, 0};
  p2p::PeerId peer[2] = {0, 0};
  std::uint32_t boot[2] = {0, 0};            // each end's boot when the link was made
  bool open[2] = {true, true};               // that end has not closed it
  std::int64_t last_arrival_us[2] = {0, 0};  // frames from end i arrive in order (TCP)
};

enum class EvKind : std::uint8_t {
  kFrame,       // a frame from end `dir` of `link` reaches the other end (`node`)
  kClose,       // end `dir` of `link` (`node`) learns that the other end closed
  kDial,        // node `aux`'s dial (its boot `boot`, ephemeral `port`) of `address` reaches `node`
  kAccepted,    // `node`'s dial of `address` was accepted: `link` is the connection
  kDialFailed,  // `node`'s dial of `address` failed
  kTick,        // node's protocol timer
  kWake,        // node's processing is done: frames waiting in its inbox go in
  kMine,        // the network finds a block (one Poisson process, miner drawn by hash share)
  kLoad,        // a transaction is submitted
  kAction,      // config.actions[aux]
  kOffline,     // node leaves (a persona's offline window)
  kOnline,      // node comes back; aux = 1 keeps its state
};

struct Simulator::Ev {
  EvKind kind = EvKind::kTick;
  std::uint8_t dir = 0;
  std::uint16_t port = 0;
  std::uint32_t node = 0;
  std::uint32_t boot = 0;
  std::uint32_t aux = 0;
  SimLink* link = nullptr;
  std::shared_ptr<const crypto::Bytes> frame;
  p2p::NetAddress address;
};

// A control.jsonl line, ordered by its virtual time and then by its key (scripted actions
// before node events at the same time; node events by node and then in the node's order).
struct Simulator::ControlLine {
  std::int64_t at_us = 0;
  std::uint64_t key = 0;
  std::string text;
};

// One lane: the nodes whose index is congruent to the lane's number modulo the lane count,
// their agenda and what they produced. A lane's thread is the only one that touches its nodes
// during a window; events for another lane's nodes wait in `outbox` until the window ends.
struct Simulator::Lane {
  struct Pending {
    std::int64_t at_us;
    std::uint64_t key;
    Ev ev;
  };
  EventQueue<Ev> queue;
  std::int64_t now_us = 0;
  SimStats stats;
  std::deque<SimLink> links;                 // the links this lane's nodes accepted
  std::vector<std::vector<Pending>> outbox;  // per destination lane
  std::vector<ControlLine> control;
  std::exception_ptr error;
};

inline constexpr std::uint16_t kListenPort = 8333;
// Event keys: node-made ones are (node index + 1) << 40 | the node's own count; the run's
// global events (mining, load, actions) count from 0, so they sort before any node's.
inline constexpr int kKeyNodeShift = 40;
// control.jsonl keys of calls made from outside a run, after every node's at the same time.
inline constexpr std::uint64_t kCallKeyBase = std::uint64_t{1} << 63;

}  // namespace tally::sim
