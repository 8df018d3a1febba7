// Network methods: peers, network info, addnode, disconnectnode, bans and devnet partitions.
#include <algorithm>
#include <set>

#include "rpc/method_util.h"
#include "rpc/methods.h"

namespace tally::rpc {

namespace json = boost::json;

namespace {

constexpr std::int64_t kMaxBanTime_s = 100'000'000'000;  // also an absolute Unix time, far ahead
constexpr std::size_t kMaxPartitionEndpoints = 1000;

p2p::NetAddress parse_endpoint(std::string_view text, std::string_view param_name) {
  auto a = p2p::parse_net_address(std::string(text));
  if (!a) throw RpcError(kInvalidParameter, "Invalid " + std::string(param_name) + ": " + a.error());
  return *a;
}

bool is_loopback(const p2p::NetAddress& a) {
  if (a.is_ipv4()) return a.ip[12] == 127;
  static const std::array<std::uint8_t, 16> kV6Loopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return a.ip == kV6Loopback;
}

std::string ip_only(const p2p::NetAddress& a) {
  const std::string s = a.to_string();
  return s.substr(0, s.rfind(':'));
}

// The key NetCore bans under (docs/PROTOCOL.md): the IP ("1.2.3.4", "[::1]"), or for a
// loopback peer "ip:listen_port" because every devnet node shares 127.0.0.1. Accepts
// "1.2.3.4", "::1", "[::1]", "1.2.3.4:5", "[::1]:5".
std::string ban_key_of(std::string_view text) {
  std::string s(text);
  bool has_port = false;
  if (!s.empty() && s.front() == '[') {
    has_port = s.find("]:") != std::string::npos;
    if (!has_port) s += ":1";
  } else if (std::count(s.begin(), s.end(), ':') > 1) {
    s = "[" + s + "]:1";  // bare IPv6
  } else if (s.find(':') != std::string::npos) {
    has_port = true;
  } else {
    s += ":1";
  }
  auto a = p2p::parse_net_address(s);
  if (!a) throw RpcError(kInvalidIpOrSubnet, "Invalid IP: " + std::string(text));
  return (has_port && is_loopback(*a)) ? a->to_string() : ip_only(*a);
}

json::value getpeerinfo(const Params&, RequestContext& ctx) {
  const std::vector<PeerInfo> peers = value_of(node_of(ctx).network().peers());
  json::array out;
  for (const auto& p : peers) {
    json::object o;
    o["id"] = p.id;
    o["addr"] = p.address.to_string();
    o["inbound"] = p.inbound;
    o["established"] = p.established;
    o["subver"] = p.user_agent;
    o["startingheight"] = p.start_height;
    o["synced_height"] = p.best_known_height;
    o["conntime"] = p.connected_ms / 1000;
    if (p.last_ping_rtt_ms >= 0) o["pingtime"] = static_cast<double>(p.last_ping_rtt_ms) / 1000.0;
    o["bytessent"] = p.bytes_sent;
    o["bytesrecv"] = p.bytes_received;
    o["misbehavior"] = p.misbehaviour;
    o["blocks_in_flight"] = p.blocks_in_flight;
    o["encrypted"] = !p.node_key.empty();
    if (!p.node_key.empty()) o["nodekey"] = p.node_key;
    out.emplace_back(std::move(o));
  }
  return out;
}

json::value getnetworkinfo(const Params&, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  const NetworkInfo net = value_of(node.network().info());
  const ledger::ChainSpec& spec = node.spec();
  json::object o;
  o["subversion"] = net.user_agent;
  o["protocolversion"] = p2p::kProtocolVersion;
  o["chain_id"] = spec.chain_id;
  o["network_magic"] = bits_hex(spec.network_magic);
  o["listen_port"] = net.listen_port;
  o["connections"] = net.inbound + net.outbound;
  o["connections_in"] = net.inbound;
  o["connections_out"] = net.outbound;
  o["max_inbound"] = net.max_inbound;
  o["max_outbound"] = net.max_outbound;
  o["discovery"] = net.discovery;
  o["banned"] = net.banned;
  o["encrypted"] = !net.node_key.empty();
  if (!net.node_key.empty()) o["nodekey"] = net.node_key;
  o["peerallow"] = net.allowed_keys;
  o["handshakes"] = json::object{{"completed", net.handshakes_completed},
                                 {"failed", net.handshakes_failed},
                                 {"not_allowed", net.peers_not_allowed},
                                 {"records_rejected", net.records_rejected},
                                 {"dials_with_key", net.dials_with_key}};
  o["relayfee"] = spec.min_fee;
  return o;
}

json::value getnettotals(const Params&, RequestContext& ctx) {
  const NetworkInfo net = value_of(node_of(ctx).network().info());
  json::object o;
  o["totalbytesrecv"] = net.bytes_received;
  o["totalbytessent"] = net.bytes_sent;
  o["timemillis"] = net.now_ms;
  return o;
}

// From the tip snapshot (no trip to the core), like getblockcount.
json::value getconnectioncount(const Params&, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  if (auto tip = node.tip()) return tip->peers_in + tip->peers_out;
  const NetworkInfo net = value_of(node.network().info());
  return net.inbound + net.outbound;
}

json::value addnode(const Params& params, RequestContext& ctx) {
  const p2p::NetAddress address = parse_endpoint(params.get_string(0, "node"), "node");
  const std::string_view command = params.get_string(1, "command");
  if (command != "add" && command != "remove" && command != "onetry")
    throw RpcError(kInvalidParameter, "command must be \"add\", \"remove\" or \"onetry\"");
  NetworkControl& net = node_of(ctx).network();
  if (command == "add") {
    value_of(net.add_peer(address));
  } else if (command == "remove") {
    if (!value_of(net.remove_peer(address)))
      throw RpcError(kMiscError, "node " + address.to_string() + " has not been added");
  } else {
    value_of(net.connect_once(address));
  }
  return nullptr;
}

json::value disconnectnode(const Params& params, RequestContext& ctx) {
  const auto address_text = params.get_opt_string(0, "address");
  const auto nodeid = params.get_opt_int(1, "nodeid", 0, std::numeric_limits<std::int64_t>::max());
  const bool by_address = address_text && !address_text->empty();
  if (by_address == nodeid.has_value())
    throw RpcError(kInvalidParams, "give exactly one of address and nodeid");
  const std::string reason = "disconnectnode RPC";
  NetworkControl& net = node_of(ctx).network();
  const bool disconnected = by_address
                                ? value_of(net.disconnect(parse_endpoint(*address_text, "address"), reason))
                                : value_of(net.disconnect(static_cast<p2p::PeerId>(*nodeid), reason));
  if (!disconnected) throw RpcError(kNodeNotConnected, "Node not found in connected nodes");
  return nullptr;
}

json::value setban(const Params& params, RequestContext& ctx) {
  const std::string key = ban_key_of(params.get_string(0, "subnet"));
  const std::string_view command = params.get_string(1, "command");
  if (command != "add" && command != "remove") throw RpcError(kInvalidParameter, "command must be \"add\" or \"remove\"");
  const std::int64_t bantime_s = params.get_opt_int(2, "bantime", 0, kMaxBanTime_s).value_or(0);
  const bool absolute = params.get_opt_bool(3, "absolute").value_or(false);
  NetworkControl& net = node_of(ctx).network();
  if (command == "remove") {
    if (!value_of(net.unban(key))) throw RpcError(kInvalidIpOrSubnet, "Unban failed: " + key + " is not banned");
    return nullptr;
  }
  BanUntil until;
  if (absolute) until.until_ms = bantime_s * 1000;
  else until.duration_ms = bantime_s * 1000;  // 0: the node's default
  switch (value_of(net.ban(key, until, "manually banned (setban RPC)"))) {
    case BanOutcome::kAlreadyBanned:
      throw RpcError(kNodeAlreadyAdded, "IP already banned");
    case BanOutcome::kEndsInThePast:
      throw RpcError(kInvalidParameter, "absolute bantime is in the past");
    case BanOutcome::kBanned:
      break;
  }
  return nullptr;
}

json::value listbanned(const Params&, RequestContext& ctx) {
  const BanList list = value_of(node_of(ctx).network().bans());
  json::array out;
  for (const auto& ban : list.bans) {
    json::object o;
    o["address"] = ban.key;
    o["banned_until"] = ban.until_ms / 1000;
    o["time_remaining"] = std::max<std::int64_t>(0, (ban.until_ms - list.now_ms) / 1000);
    o["ban_reason"] = ban.reason;
    out.emplace_back(std::move(o));
  }
  return out;
}

json::value setnetworkpartition(const Params& params, RequestContext& ctx) {
  const json::array& list = params.get_array(0, "endpoints");
  if (list.size() > kMaxPartitionEndpoints)
    throw RpcError(kInvalidParameter, "at most " + std::to_string(kMaxPartitionEndpoints) + " endpoints");
  std::set<p2p::NetAddress> blocked;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string name = "endpoints[" + std::to_string(i) + "]";
    if (!list[i].is_string()) throw RpcError(kInvalidParams, name + " must be a string \"ip:port\"");
    const auto& s = list[i].get_string();
    blocked.insert(parse_endpoint(std::string_view(s.data(), s.size()), name));
  }
  value_of(node_of(ctx).network().set_partition(blocked));
  json::array out;
  for (const auto& a : blocked) out.emplace_back(a.to_string());
  json::object o;
  o["blocked"] = std::move(out);
  return o;
}

}  // namespace

void add_network_methods(MethodTable& t) {
  t.add({"getpeerinfo", "network", {}, "Every connected peer with its counters.", getpeerinfo});
  t.add({"getnetworkinfo", "network", {}, "P2P settings and connection counts.", getnetworkinfo});
  t.add({"getnettotals", "network", {}, "P2P bytes received and sent since start, and the node's clock (ms).",
         getnettotals});
  t.add({"getconnectioncount", "network", {}, "Number of connected peers, inbound and outbound.",
         getconnectioncount});
  t.add({"addnode", "network", {{"node"}, {"command"}},
         "Keeps a connection to ip:port open (\"add\"), stops keeping it (\"remove\"), or dials it once (\"onetry\").",
         addnode});
  t.add({"disconnectnode", "network", {{"address", false}, {"nodeid", false}},
         "Disconnects a peer by ip:port or by id.", disconnectnode});
  t.add({"setban", "network", {{"subnet"}, {"command"}, {"bantime", false}, {"absolute", false}},
         "Bans (\"add\") or unbans (\"remove\") an IP, or a loopback ip:port; bantime in seconds.", setban});
  t.add({"listbanned", "network", {}, "Every active ban.", listbanned});
  t.add({"setnetworkpartition", "network", {{"endpoints"}},
         "Devnet: refuse and drop connections to these ip:port endpoints; [] heals.", setnetworkpartition});
}

}  // namespace tally::rpc
