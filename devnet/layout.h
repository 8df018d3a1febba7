// DIR/devnet.json: the record of a devnet's layout, so that every tally-devnet invocation
// (a separate process) finds the nodes again and a crashed devnet can still be cleaned up.
// Written atomically after every change (a node spawned, stopped, a partition set).
//
// Plain values; not thread-safe (one owner).
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "devnet/topology.h"

namespace tally::devnet {

inline constexpr const char* kLayoutFileName = "devnet.json";
inline constexpr int kLayoutVersion = 1;

struct NodeRecord {
  std::size_t index = 0;
  std::string name;  // "node<index>"
  std::filesystem::path datadir;
  std::uint16_t p2p_port = 0;
  std::uint16_t rpc_port = 0;
  int pid = 0;  // last spawned tallyd; 0 when stopped through tally-devnet
  bool mining = false;
  std::vector<std::string> args;  // tallyd's arguments (without argv[0]), reused by `start`
  std::string host = "127.0.0.1";  // the node's P2P and RPC address (its namespace's in netns mode)
  std::string netns;               // the network namespace it runs in; empty: the current one
  std::string container;           // the container it runs in (podman mode); empty: a process
  bool relay_only = false;         // a relay-only persona: `load` sends it no transactions

  std::string p2p_endpoint() const { return host + ":" + std::to_string(p2p_port); }
  std::filesystem::path log_file() const { return datadir / "stdout.log"; }
};

struct Layout {
  std::filesystem::path dir;     // absolute
  std::filesystem::path tallyd;  // absolute
  std::filesystem::path chain;   // the spec every node runs (DIR/chain.json); empty: embedded devnet spec
  Topology topology;
  std::uint64_t seed = 0;
  std::vector<Edge> edges;
  std::vector<NodeRecord> nodes;
  std::vector<std::vector<std::size_t>> partition;  // active partition groups; empty when healed
  boost::json::object options;  // the up options as given, for the record
  std::string net = "loopback";  // "loopback", "netns" or "podman" (containers.h)
  boost::json::object netns;     // netns mode: what was made (see netns.h), for `down`
  boost::json::object containers;  // podman mode: the plan (see containers.h), for every command
  std::int64_t created_unix_s = 0;

  std::filesystem::path file() const { return dir / kLayoutFileName; }
};

boost::json::value to_json(const Layout& layout);
[[nodiscard]] std::expected<Layout, std::string> layout_from_json(const boost::json::value& v);

// Reads DIR/devnet.json. The error says when there is no devnet in DIR.
[[nodiscard]] std::expected<Layout, std::string> load_layout(const std::filesystem::path& dir);
// Writes layout.file() atomically (temporary file + rename).
[[nodiscard]] std::expected<void, std::string> save_layout(const Layout& layout);

// Two-space indented JSON, for files people read.
std::string pretty_json(const boost::json::value& v);

}  // namespace tally::devnet
