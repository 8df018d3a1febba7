// Transaction load for a devnet: signed transfers between the ten well-known devnet keys,
// submitted over RPC to random running nodes at a steady rate.
//
// Nonces are tracked locally per key, starting from getaccount's pending_nonce and resynced
// from the node when it rejects a nonce. run_load blocks the calling thread; it opens its
// own RPC connections and shares nothing, so several may run at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "ledger/chain_spec.h"
#include "devnet/layout.h"
#include "rpc/auth.h"

namespace tally::devnet {

inline constexpr std::size_t kDevnetKeyCount = 10;

// secret_key[i] = SHA-256("Tally devnet key " + decimal i) (genesis/devnet-keys.json).
crypto::SecretKey devnet_key(std::size_t index);

struct LoadReport {
  std::uint64_t submitted = 0;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;  // the node answered with an error
  std::uint64_t errors = 0;    // no answer (node down, timeout)
  double elapsed_s = 0;
  std::map<std::string, std::uint64_t> reasons;  // rejection reason code -> count

  double achieved_tps() const { return elapsed_s > 0 ? static_cast<double>(accepted) / elapsed_s : 0; }
};

// "submitted 100, accepted 98, rejected 2 (stale-nonce 2), errors 0 in 10.0 s: 9.8 tx/s"
std::string to_string(const LoadReport& report);

struct LoadOptions {
  double tps = 10;
  double duration_s = 10;  // <= 0: until *stop
  std::uint64_t seed = 0;  // 0: random
  const std::atomic<bool>* stop = nullptr;  // ends the load early when it becomes true
  std::function<void(const LoadReport&)> progress;  // called about once a second, if set
  // Nodes that are not this machine's processes (tally-devnet load --rpc): every call uses
  // these credentials instead of the node's cookie, and no node is skipped for its pid.
  std::optional<rpc::Credentials> credentials;
};

// A layout of remote nodes for run_load: one node per "host:port" RPC endpoint (a name or an
// address; IPv6 as [addr]:port). The error names the malformed endpoint.
[[nodiscard]] std::expected<Layout, std::string> remote_layout(const std::vector<std::string>& rpc_endpoints);

// REQUIRES: options.tps > 0. Fails only when no node answers at the start.
[[nodiscard]] std::expected<LoadReport, std::string> run_load(const Layout& layout, const ledger::ChainSpec& spec,
                                                              const LoadOptions& options);

}  // namespace tally::devnet
