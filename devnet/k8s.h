// `tally-devnet k8s`: the devnet as Kubernetes manifests, for a cluster of several hosts. One
// multi-document YAML file (or a Kubernetes List as JSON) with
//   - a ConfigMap <name>-config: chain.json and one tallyd config file per node, <name>-<i>.conf,
//     its peers wired by DNS name exactly as the process devnet wires them (same topology code);
//   - a Secret <name>-rpc: the RPC user, its password and the --rpcauth line the nodes take
//     (so no node, command line or config file holds the password);
//   - a headless Service <name> that gives every pod the name <name>-<i>.<name>.<ns>.svc.cluster.local;
//   - a StatefulSet <name> of tallyd pods with a volume each, probes and Prometheus annotations;
//   - a Job <name>-load running `tally-devnet load --rpc ...` against the nodes (suspended
//     unless a load rate was asked for).
// Beside a file it also writes devnet.json, the record `tally-devnet report` needs once the
// pods' event logs are copied next to it (docs/DEVNET.md, "Kubernetes").
//
// The manifests are built as a Boost.JSON model first (tests check that) and then written as
// YAML by a small emitter here. Everything except write_manifests() and the scenario file read
// is a pure function; randomness comes in through RpcSecret. Thread-safe (no shared state).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "devnet/options.h"

namespace tally::devnet {

inline constexpr std::uint16_t kK8sP2pPort = 17077;
inline constexpr std::uint16_t kK8sRpcPort = 17078;
inline constexpr const char* kK8sManifestFile = "tally-devnet.yaml";
inline constexpr const char* kK8sManifestJsonFile = "tally-devnet.json";

// The RPC credentials of the cluster's nodes. `rpcauth` is what the nodes get; user and
// password are for clients (the load Job, people with kubectl).
struct RpcSecret {
  std::string user = "tally";
  std::string password;  // 32 hex digits
  std::string rpcauth;   // rpc::rpcauth_line(user, password, salt)
};

// A fresh password (16 random bytes as hex) and a fresh salt (16 random bytes as hex).
RpcSecret make_rpc_secret();

// Checks the Kubernetes side (names are DNS labels, quantities look like quantities) and the
// network side (validate(UpOptions)).
[[nodiscard]] std::expected<void, std::string> validate(const UpOptions& up, const K8sSettings& k8s);

// Reads a scenario file (as `tally-devnet scenario` does) into `up` (nodes, topology, miners,
// block time, personas, shaping) and, unless already set, the load into `k8s`. Returns what
// manifests cannot express (per-link shaping, timed events, offline windows), one line each.
[[nodiscard]] std::expected<std::vector<std::string>, std::string> apply_scenario_file(
    const std::filesystem::path& file, UpOptions& up, K8sSettings& k8s);

// chain.json for the nodes: the --chain file or the embedded devnet spec, block_interval_s
// overridden by --block-time. Reads up.chain when set.
[[nodiscard]] std::expected<std::string, std::string> k8s_chain_text(const UpOptions& up);

// "<name>-<i>.<name>.<namespace>.svc.cluster.local": node i's DNS name in the cluster.
std::string pod_host(const K8sSettings& k8s, std::size_t node);

// Node i's tallyd config file (key=value lines). REQUIRES: validate() passed.
[[nodiscard]] std::expected<std::string, std::string> node_conf(const UpOptions& up, const K8sSettings& k8s,
                                                                const std::string& address_prefix, std::size_t node);

// The manifests: ConfigMap, Secret, Service, StatefulSet, Job, in that order.
// REQUIRES: validate() passed. Reads up.chain when set.
[[nodiscard]] std::expected<boost::json::array, std::string> make_manifests(const UpOptions& up,
                                                                             const K8sSettings& k8s,
                                                                             const RpcSecret& secret);

// The manifests as multi-document YAML (devnet/yaml.h).
std::string to_yaml(const boost::json::array& documents);
// {"apiVersion": "v1", "kind": "List", "items": documents}.
boost::json::object as_list(const boost::json::array& documents);

// devnet.json for `tally-devnet report`: the pods as nodes whose event logs are expected in
// node<i>/events.jsonl, the topology's edges, the block time asked for.
boost::json::object study_record(const UpOptions& up, const K8sSettings& k8s);

// Writes DIR/tally-devnet.yaml (or .json with k8s.format "json"; mode 0600: it holds the
// Secret) and DIR/devnet.json; refuses to replace a devnet.json that a process devnet wrote.
// Returns the manifest file's path.
[[nodiscard]] std::expected<std::filesystem::path, std::string> write_manifests(
    const boost::json::array& documents, const UpOptions& up, const K8sSettings& k8s, const std::filesystem::path& dir);

}  // namespace tally::devnet
