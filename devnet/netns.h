// `--net netns`: each node in its own network namespace, joined to a bridge in the root
// namespace by a veth pair; partitions are nftables drop rules inside the namespaces,
// bandwidth is a `tbf` qdisc and latency/loss a `netem` qdisc on each node's veth.
//
// Every name is unique per devnet directory: "tly" + 4 hex digits of a hash of DIR
// ("tly1a2b-0" namespaces, "tly1a2b-br" bridge, "tly1a2b-v0"/"tly1a2b-p0" veth ends, all
// within the 15 characters of an interface name). The subnet is 10.213.X.0/24 (X picked
// from the hash, skipping subnets already configured here): the bridge has .254, node i has
// .(i+1). The addresses exist only inside these namespaces and on the bridge.
//
// Commands (`ip`, `tc`, `nft`) run through support::run with argument vectors; a failing
// command's error carries its output. Needs root. Not thread-safe against concurrent changes of the
// same devnet from two processes.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

namespace tally::devnet {

struct NetnsPlan {
  std::string prefix;   // "tly1a2b"
  unsigned subnet = 0;  // X of 10.213.X.0/24
  std::size_t nodes = 0;

  std::string bridge() const { return prefix + "-br"; }
  std::string ns(std::size_t i) const { return prefix + "-" + std::to_string(i); }
  std::string host_veth(std::size_t i) const { return prefix + "-v" + std::to_string(i); }
  std::string node_veth(std::size_t i) const { return prefix + "-p" + std::to_string(i); }
  std::string base() const { return "10.213." + std::to_string(subnet) + "."; }
  std::string node_ip(std::size_t i) const { return base() + std::to_string(i + 1); }
  std::string bridge_ip() const { return base() + "254"; }
  std::string cidr() const { return base() + "0/24"; }
};

inline constexpr std::size_t kMaxNetnsNodes = 250;

// A hash of DIR's normalized path (FNV-1a): its low 16 bits name a devnet's namespaces,
// bridge, network and containers ("tly" + 4 hex digits, devnet_prefix), the rest pick its
// subnet. Shared with containers.h.
std::uint32_t devnet_dir_hash(const std::filesystem::path& dir);
std::string devnet_prefix(std::uint32_t dir_hash);

// Recorded in devnet.json ("netns"): the plan and every name it makes, for `down`.
boost::json::object to_json(const NetnsPlan& plan);
[[nodiscard]] std::expected<NetnsPlan, std::string> netns_plan_from_json(const boost::json::value& v);

// Root, and `ip netns` works. The error says what is missing and offers the loopback mode.
[[nodiscard]] std::expected<void, std::string> check_netns_support();

// Names and a subnet not in use on this machine for a devnet of `nodes` nodes in `dir`.
[[nodiscard]] std::expected<NetnsPlan, std::string> plan_netns(const std::filesystem::path& dir, std::size_t nodes);

// Creates the bridge, the namespaces (lo up) and the veth pairs with their addresses.
[[nodiscard]] std::expected<void, std::string> netns_create(const NetnsPlan& plan);

struct NetnsShaping {
  std::string rate;     // tbf (or netem's rate when netem is used)
  std::string latency;  // netem delay
  std::string jitter;
  std::string loss;     // netem loss, percent ("1%" or "1")
};
// Applies the shaping to every node's veth (its outgoing traffic). Latency, jitter or loss
// on a kernel without netem is an error that suggests tallyd's in-node shaping.
[[nodiscard]] std::expected<void, std::string> netns_shape(const NetnsPlan& plan, const NetnsShaping& shaping);

// True when the kernel has the netem qdisc (probed on the bridge of a created plan).
bool netem_available(const NetnsPlan& plan);

// Each node drops (nftables, in its namespace) traffic to and from the nodes of other groups.
[[nodiscard]] std::expected<void, std::string> netns_partition(const NetnsPlan& plan,
                                                               const std::vector<std::vector<std::size_t>>& groups);
// Removes every partition table.
[[nodiscard]] std::expected<void, std::string> netns_heal(const NetnsPlan& plan);

// Deletes the namespaces (with their qdiscs and nft tables), veths and the bridge; whatever
// is already gone is skipped. Returns the errors of what could not be removed.
[[nodiscard]] std::expected<void, std::string> netns_teardown(const NetnsPlan& plan);

// The program and argument prefix that runs a command inside node i's namespace.
std::vector<std::string> netns_exec_prefix(const NetnsPlan& plan, std::size_t i);

// Runs argv[0] (looked up by support::find_program: PATH and the sbin directories) with the
// rest as its arguments; returns its stdout+stderr, or an error with the command line and
// that output. A command still running after a minute is killed.
[[nodiscard]] std::expected<std::string, std::string> run_command(const std::vector<std::string>& argv);

}  // namespace tally::devnet
