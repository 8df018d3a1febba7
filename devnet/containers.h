// `--engine podman`: each node a container of the image tally:<version> (scripts/image.sh)
// on a user-defined network of its own, with the devnet's usual parts unchanged: topology
// and discovery wiring, miners, in-node link shaping (tallyd's --latency/--rate/--linkshaping),
// partitions and heals by RPC, load, status and the report.
//
// What makes that work from the host, without a second code path for every command:
//   - Each node's datadir is bind-mounted at the same path inside its container (the devnet
//     directory read-only, the node's datadir read-write and owned by the image's user,
//     podman's :U), so tallyd's flags, cookie, node.json and event log are where a process
//     devnet has them.
//   - Containers share the host's PID namespace (--pid host): the recorded pid is the host's
//     pid of the container's tallyd, so status, stop and down signal and check it as they do a
//     process; the container ends with it and is removed (--rm).
//   - The network is 10.214.X.0/24 (X free on this machine); node i has .(i+2), the gateway
//     (the host's side of the bridge) .1, so RPC from the host reaches every node.
//   - This kind of machine needs the `runc` runtime (crun fails on hybrid cgroups) and every
//     rlimit explicit, no higher than the engine's own (seen here: nofile 20000, nproc
//     32768, whatever the shell has): the runtime is chosen when runc is installed, and
//     check_container_support() tries trial containers with this process's limits, then
//     lower ones, keeps the first that runs, and otherwise says what is missing.
//
// Names: "<prefix>-net" and "<prefix>-nodeI", prefix = "tly" + 4 hex digits of a hash of DIR
// (netns.h uses the same scheme). Commands run through run_command (netns.h). Needs root
// (rootful podman). Not thread-safe against concurrent changes of one devnet.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

namespace tally::devnet {

struct ContainerPlan {
  std::string engine = "podman";
  std::string image;    // "tally:0.1.0"
  std::string runtime;  // "runc", or empty for the engine's default
  std::vector<std::string> ulimits;  // "nofile=S:H", "nproc=S:H": what a trial container took
  std::string prefix;   // "tly1a2b"
  unsigned subnet = 0;  // X of 10.214.X.0/24
  std::size_t nodes = 0;

  std::string network() const { return prefix + "-net"; }
  std::string container(std::size_t i) const { return prefix + "-node" + std::to_string(i); }
  std::string base() const { return "10.214." + std::to_string(subnet) + "."; }
  std::string node_ip(std::size_t i) const { return base() + std::to_string(i + 2); }
  std::string gateway() const { return base() + "1"; }
  std::string cidr() const { return base() + "0/24"; }
};

inline constexpr std::size_t kMaxContainerNodes = 250;

// The image tally-devnet asks for by default: tally:<its own version>.
std::string default_image();

// Recorded in devnet.json ("containers"), for every later command and for `down`.
boost::json::object to_json(const ContainerPlan& plan);
[[nodiscard]] std::expected<ContainerPlan, std::string> container_plan_from_json(const boost::json::value& v);

// What containers need here: the runtime and the rlimits a trial container ran with.
struct ContainerSupport {
  std::string runtime;
  std::vector<std::string> ulimits;
};
// Root, the engine, the image, and trial containers that print tallyd's version. The error
// says what is missing and how to get it (or to use processes).
[[nodiscard]] std::expected<ContainerSupport, std::string> check_container_support(const std::string& engine,
                                                                                  const std::string& image);

// Names and a subnet not in use here for a devnet of `nodes` nodes in `dir`.
[[nodiscard]] std::expected<ContainerPlan, std::string> plan_containers(const std::filesystem::path& dir,
                                                                        std::size_t nodes, const std::string& engine,
                                                                        const std::string& image,
                                                                        const ContainerSupport& support);

// Creates the network (a stale one of the same name is removed first).
[[nodiscard]] std::expected<void, std::string> containers_create_network(const ContainerPlan& plan);

// The command that starts node i detached: its container, with `tallyd_args`, the devnet
// directory `dir` mounted read-only and `datadir` read-write, its output in `log_file`.
std::vector<std::string> container_run_argv(const ContainerPlan& plan, std::size_t i, const std::filesystem::path& dir,
                                            const std::filesystem::path& datadir, const std::filesystem::path& log_file,
                                            const std::vector<std::string>& tallyd_args);

// The host's pid of node i's tallyd, once its container runs.
[[nodiscard]] std::expected<int, std::string> container_pid(const ContainerPlan& plan, std::size_t i);

// Removes the containers (force) and the network; what is already gone is skipped.
[[nodiscard]] std::expected<void, std::string> containers_teardown(const ContainerPlan& plan);

}  // namespace tally::devnet
