// tallyd's configuration: command-line flags and the datadir's tally.conf (key=value lines,
// the same keys as the flags without "--"; flags win). Parsing only fills NodeConfig; it
// starts nothing. Unknown keys and bad values are errors that name the key.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tally::node {

struct NodeConfig {
  std::filesystem::path datadir;   // default: ~/.tally/<chain name>
  std::string chain;               // chain spec file; empty: the embedded devnet spec
  std::string name;                // node name in logs and the event log (default: tallyd-<p2p port>)
  std::string bind = "127.0.0.1";  // P2P listen address
  std::optional<std::uint16_t> port;     // P2P port; default from the chain spec; 0 = any free
  bool listen = true;
  std::vector<std::string> connect;  // only these peers
  std::vector<std::string> addnode;  // these plus discovery
  std::vector<std::string> seed;     // ask these for addresses
  std::int64_t dnsrefresh_ms = 30'000;  // peers given by name are resolved again this often
  std::size_t maxoutbound = 8;
  std::size_t maxinbound = 64;
  bool compactrelay = true;
  bool encrypt = true;                  // the encrypted transport; 0: plaintext, for debugging only
  std::vector<std::string> peerallow;   // node keys (66 hex digits) allowed to connect; empty: anyone
  std::string peerallowfile;            // a file of such keys, one per line ('#' comments)
  std::string rpcbind = "127.0.0.1";
  std::vector<std::string> rpcallowip;
  std::optional<std::uint16_t> rpcport;  // default from the chain spec; 0 = any free
  std::string rpcuser;
  std::string rpcpassword;
  std::vector<std::string> rpcauth;  // user:salt$hmac lines (rpc/auth.h)
  unsigned rpcthreads = 2;   // RPC I/O threads (accept, read, write, /health)
  unsigned rpcworkers = 2;   // RPC worker threads: calls running at once
  unsigned rpcwaiters = 4;   // RPC threads for waiting calls (waitfornewblock): waits at once
  bool mine = false;
  unsigned minethreads = 1;
  std::string mineraddress;  // default: devnet key 0's address on the devnet
  std::string loglevel = "info";
  std::string eventlog;  // path, or empty for none; "1"/"true" = <datadir>/events.jsonl
  bool txindex = true;
  bool checkdb = true;  // read every stored table and check its checksums at start
  bool addressindex = true;
  unsigned verifythreads = 2;
  std::int64_t latency_ms = 0;  // link shaping of outgoing P2P traffic
  std::int64_t jitter_ms = 0;
  std::uint64_t rate_bytes_per_s = 0;
  // Per-link shaping of what this node sends to one peer, by the peer's listening endpoint.
  struct LinkShape {
    std::string endpoint;  // host:port
    std::int64_t latency_ms = 0;
    std::int64_t jitter_ms = 0;
    std::uint64_t rate_bytes_per_s = 0;
  };
  std::vector<LinkShape> linkshaping;
  bool printtoconsole = true;
};

struct ParseOutcome {
  NodeConfig config;
  bool exit_now = false;  // --help or --version was printed
};

// argv as given to main. Reads <datadir>/tally.conf (or --conf) when present.
[[nodiscard]] std::expected<ParseOutcome, std::string> parse_config(int argc, const char* const* argv);

// "host:port=50ms", "host:port=50ms/10ms", "host:port=50ms/10ms/10mbit" (latency/jitter/rate;
// empty parts keep 0: "host:port=//10mbit").
[[nodiscard]] std::expected<NodeConfig::LinkShape, std::string> parse_link_shape(const std::string& text);


}  // namespace tally::node
