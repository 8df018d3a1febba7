#include "node/config.h"

#include <CLI/CLI.hpp>
#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "base/units.h"
#include "rpc/auth.h"

namespace tally::node {

std::expected<NodeConfig::LinkShape, std::string> parse_link_shape(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    return std::unexpected("'" + text + "': expected host:port=latency[/jitter[/rate]]");
  NodeConfig::LinkShape shape;
  shape.endpoint = text.substr(0, eq);
  std::vector<std::string> parts;
  std::string rest = text.substr(eq + 1);
  for (std::size_t start = 0;;) {
    const auto slash = rest.find('/', start);
    parts.push_back(rest.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.size() > 3) return std::unexpected("'" + text + "': at most latency/jitter/rate");
  if (!parts[0].empty()) {
    auto v = base::parse_duration_ms(parts[0]);
    if (!v) return std::unexpected("'" + text + "': " + v.error());
    shape.latency_ms = *v;
  }
  if (parts.size() > 1 && !parts[1].empty()) {
    auto v = base::parse_duration_ms(parts[1]);
    if (!v) return std::unexpected("'" + text + "': " + v.error());
    shape.jitter_ms = *v;
  }
  if (parts.size() > 2 && !parts[2].empty()) {
    auto v = base::parse_rate(parts[2]);
    if (!v) return std::unexpected("'" + text + "': " + v.error());
    shape.rate_bytes_per_s = *v;
  }
  return shape;
}

std::expected<ParseOutcome, std::string> parse_config(int argc, const char* const* argv) {
  ParseOutcome out;
  NodeConfig& c = out.config;
  CLI::App app{"tallyd: a Tally full node (P2P gossip, PoW ledger in RocksDB, JSON-RPC).\n"
               "With no flags it runs the embedded devnet chain in ~/.tally/tally-devnet.\n"
               "Every flag may also be set in <datadir>/tally.conf as key=value."};
  app.set_version_flag("--version", "tallyd 0.1.0");
  app.option_defaults()->always_capture_default();

  std::string datadir, latency, jitter, rate;
  std::string eventlog;
  app.add_option("--datadir", datadir, "Data directory (default ~/.tally/<chain name>)");
  app.add_option("--chain", c.chain, "Chain spec JSON file (default: the embedded devnet spec)");
  app.add_option("--name", c.name, "Node name used in logs and the event log");
  app.add_option("--bind", c.bind, "Address to listen on for peers")->capture_default_str();
  app.add_option("--port", c.port, "P2P port (default from the chain spec; 0 = any free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--listen", c.listen, "Accept incoming peer connections (1/0)");
  app.add_option("--connect", c.connect,
                 "Connect only to this peer (host:port, or KEY@host:port to authenticate it by its node key); repeatable");
  app.add_option("--addnode", c.addnode,
                 "Keep a connection to this peer ([KEY@]host:port) and also discover others; repeatable");
  app.add_option("--seed", c.seed, "Ask this peer for addresses; repeatable");
  std::string dnsrefresh;
  app.add_option("--dnsrefresh", dnsrefresh,
                 "Peers given by DNS name (name:port) are resolved again this often (default 30s), every 2s while "
                 "a name does not resolve");
  app.add_option("--maxoutbound", c.maxoutbound, "Outbound connection slots")->check(CLI::Range(0, 64));
  app.add_option("--maxinbound", c.maxinbound, "Inbound connection cap")->check(CLI::Range(0, 1024));
  app.add_option("--compactrelay", c.compactrelay, "Relay new blocks as compact blocks to peers that ask (1/0)");
  app.add_option("--encrypt", c.encrypt,
                 "Encrypted, authenticated P2P transport (1/0); 0 is plaintext, for debugging only");
  app.add_option("--peerallow", c.peerallow, "Only this node key may connect, in either direction; repeatable");
  app.add_option("--peerallowfile", c.peerallowfile, "A file of node keys allowed to connect, one per line");
  app.add_option("--rpcbind", c.rpcbind, "Address the RPC server binds to (default 127.0.0.1)");
  app.add_option("--rpcallowip", c.rpcallowip, "Also accept RPC from this address (widens exposure); repeatable");
  app.add_option("--rpcport", c.rpcport, "RPC port (default from the chain spec; 0 = any free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--rpcuser", c.rpcuser, "RPC user name (HTTP Basic), besides the cookie");
  app.add_option("--rpcpassword", c.rpcpassword, "RPC password for --rpcuser");
  app.add_option("--rpcauth", c.rpcauth,
                 "A user whose password the node never sees: user:salt$hmac, hmac = hex HMAC-SHA256(key = salt, "
                 "message = password); repeatable; also read from $TALLY_RPCAUTH")
      ->envname("TALLY_RPCAUTH");
  app.add_option("--rpcthreads", c.rpcthreads, "RPC server threads")->check(CLI::Range(1, 64));
  app.add_option("--rpcworkers", c.rpcworkers, "RPC calls run at once (waiting calls excepted)")
      ->check(CLI::Range(1, 64));
  app.add_option("--rpcwaiters", c.rpcwaiters,
                 "waitfornewblock/waitforblockheight calls waiting at once (each holds a thread of its own pool)")
      ->check(CLI::Range(1, 64));
  app.add_option("--mine", c.mine, "Mine blocks in the background (1/0)");
  app.add_option("--minethreads", c.minethreads, "Mining threads")->check(CLI::Range(1, 256));
  app.add_option("--mineraddress", c.mineraddress, "Address paid by mined blocks (default: devnet key 0)");
  app.add_option("--loglevel", c.loglevel, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--eventlog", eventlog, "Write a JSON-lines event log to this file (1 = <datadir>/events.jsonl)");
  app.add_option("--txindex", c.txindex, "Keep a transaction index (1/0)");
  app.add_option("--checkdb", c.checkdb,
                 "At start, read the whole ledger database and check its checksums; a damaged file is refused (1/0)");
  app.add_option("--addressindex", c.addressindex, "Keep a per-address history index (1/0)");
  app.add_option("--verifythreads", c.verifythreads, "Signature verification threads")->check(CLI::Range(1, 64));
  app.add_option("--latency", latency, "Added one-way latency of outgoing P2P traffic (e.g. 50ms)");
  app.add_option("--jitter", jitter, "Added random jitter on top of --latency (e.g. 10ms)");
  app.add_option("--rate", rate, "Bandwidth cap of outgoing P2P traffic (e.g. 10mbit)");
  std::vector<std::string> link_shapes;
  app.add_option("--linkshaping", link_shapes,
                 "Shape what is sent to one peer: host:port=latency[/jitter[/rate]] (e.g. "
                 "127.0.0.1:17077=50ms/10ms/10mbit); repeatable; overrides --latency/--jitter/--rate for that link");
  app.add_option("--printtoconsole", c.printtoconsole, "Also log to the terminal (1/0)");

  // The config file lives in the datadir, which a flag may move: find it first.
  std::string conf_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--datadir=", 0) == 0) conf_path = a.substr(10);
    if (a == "--datadir" && i + 1 < argc) conf_path = argv[i + 1];
  }
  std::filesystem::path conf = conf_path.empty() ? std::filesystem::path() : std::filesystem::path(conf_path) / "tally.conf";
  app.set_config("--conf", conf.string(), "Config file (default <datadir>/tally.conf)", false);
  app.allow_config_extras(CLI::config_extras_mode::error);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    out.exit_now = true;
    return out;
  } catch (const CLI::CallForVersion&) {
    std::cout << "tallyd 0.1.0\n";
    out.exit_now = true;
    return out;
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    // CLI11 words an unknown config-file key as "INI was not able to parse <key>".
    static const std::string kIniExtra = "INI was not able to parse ";
    if (dynamic_cast<const CLI::ConfigError*>(&e) && what.rfind(kIniExtra, 0) == 0)
      what = "unknown setting '" + what.substr(kIniExtra.size()) + "' in " + app.get_config_ptr()->as<std::string>();
    else if (dynamic_cast<const CLI::ExtrasError*>(&e) || dynamic_cast<const CLI::ConfigError*>(&e))
      what = "unknown or malformed setting: " + what;
    return std::unexpected(what);
  }
  c.datadir = datadir;
  if (!eventlog.empty()) c.eventlog = eventlog;
  if (!latency.empty()) {
    auto v = base::parse_duration_ms(latency);
    if (!v) return std::unexpected("--latency: " + v.error());
    c.latency_ms = *v;
  }
  if (!dnsrefresh.empty()) {
    auto v = base::parse_duration_ms(dnsrefresh);
    if (!v || *v < 100) return std::unexpected("--dnsrefresh: expected a duration of at least 100ms, like 30s");
    c.dnsrefresh_ms = static_cast<std::int64_t>(*v);
  }
  if (!jitter.empty()) {
    auto v = base::parse_duration_ms(jitter);
    if (!v) return std::unexpected("--jitter: " + v.error());
    c.jitter_ms = *v;
  }
  if (!rate.empty()) {
    auto v = base::parse_rate(rate);
    if (!v) return std::unexpected("--rate: " + v.error());
    c.rate_bytes_per_s = *v;
  }
  for (const auto& entry : c.rpcallowip) {
    const auto slash = entry.find('/');
    const std::string host = entry.substr(0, slash);
    unsigned char buf[16];
    const bool v4 = ::inet_pton(AF_INET, host.c_str(), buf) == 1;
    const bool v6 = !v4 && ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
    bool ok = v4 || v6;
    if (ok && slash != std::string::npos) {
      const std::string bits = entry.substr(slash + 1);
      ok = !bits.empty() && bits.size() <= 3 && std::all_of(bits.begin(), bits.end(), ::isdigit) &&
           std::stoi(bits) <= (v4 ? 32 : 128);
    }
    if (!ok) return std::unexpected("--rpcallowip " + entry + ": expected an IP address or a network like 10.0.0.0/8");
  }
  for (const auto& text : link_shapes) {
    auto shape = parse_link_shape(text);
    if (!shape) return std::unexpected("--linkshaping: " + shape.error());
    c.linkshaping.push_back(*shape);
  }
  for (const auto& line : c.rpcauth)
    if (auto a = rpc::parse_rpcauth(line); !a) return std::unexpected("--rpcauth: " + a.error());
  if (!c.rpcpassword.empty() && c.rpcuser.empty()) return std::unexpected("--rpcpassword: needs --rpcuser");
  if (!c.rpcuser.empty() && c.rpcuser.find(':') != std::string::npos)
    return std::unexpected("--rpcuser: must not contain ':'");
  return out;
}

}  // namespace tally::node
