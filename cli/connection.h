// How tally-cli reaches tallyd: host, port and credentials from the options, the datadir's
// cookie and node.json, and the chain spec's default port; calls with optional waiting for
// the server (--rpcwait) and bitcoin-cli's error texts.
//
// Thread-safety: one RpcSession per thread.
#pragma once

#include <boost/json/value.hpp>
#include <expected>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include "ledger/chain_spec.h"
#include "cli/args.h"
#include "rpc/rpc_client.h"

namespace tally::cli {

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  rpc::Credentials credentials;
  std::filesystem::path datadir;
};

// --datadir, or ~/.tally/<chain name> as tallyd uses.
std::filesystem::path datadir_of(const CliOptions& options, const ledger::ChainSpec& spec);

// The RPC port: --rpcport, else (for a loopback host) <datadir>/node.json's rpc_port, else
// the spec's default_rpc_port.
std::uint16_t rpc_port_of(const CliOptions& options, const ledger::ChainSpec& spec);

// Credentials: --rpcuser/--rpcpassword, else <datadir>/.cookie. Port: --rpcport, else (for
// a loopback host) <datadir>/node.json's rpc_port, else the spec's default_rpc_port.
[[nodiscard]] std::expected<Endpoint, std::string> resolve_endpoint(const CliOptions& options,
                                                                    const ledger::ChainSpec& spec);

// A failed call, already worded for the terminal (see print()).
struct CallFailure {
  rpc::RpcCallError error;
  std::string context;  // the endpoint, for transport errors
  // bitcoin-cli's format: "error code: N\nerror message:\n..." for RPC errors, else
  // "error: ..." with a hint.
  void print(std::ostream& err) const;
};

class RpcSession {
 public:
  RpcSession(const CliOptions& options, const ledger::ChainSpec& spec) : options_(options), spec_(spec) {}

  // One call. With --rpcwait, retries while the server cannot be reached (or its cookie is
  // not written yet) until --rpcwaittimeout.
  [[nodiscard]] std::expected<boost::json::value, CallFailure> call(const std::string& method,
                                                                    const boost::json::value& params);

 private:
  const CliOptions& options_;
  const ledger::ChainSpec& spec_;
  std::optional<rpc::RpcClient> client_;
  std::string where_;
};

}  // namespace tally::cli
