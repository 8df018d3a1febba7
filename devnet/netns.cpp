#include "devnet/netns.h"

#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>

#include "base/json_read.h"
#include "support/process.h"

namespace tally::devnet {

namespace json = boost::json;

namespace {

constexpr const char* kNftTable = "tally_devnet";

// No `ip`, `tc` or `nft` command takes long; one that hangs is killed.
constexpr std::chrono::seconds kCommandTimeout{60};

bool mentions_missing(const std::string& error) {
  return error.find("Cannot find device") != std::string::npos || error.find("No such file") != std::string::npos ||
         error.find("does not exist") != std::string::npos || error.find("No such device") != std::string::npos;
}

std::expected<void, std::string> run(const std::vector<std::string>& argv) {
  auto r = run_command(argv);
  if (!r) return std::unexpected(r.error());
  return {};
}

std::vector<std::string> in_ns(const NetnsPlan& plan, std::size_t i, std::vector<std::string> argv) {
  auto out = netns_exec_prefix(plan, i);
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

}  // namespace

std::expected<std::string, std::string> run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return std::unexpected(std::string("empty command"));
  if (support::find_program(argv[0]).empty())
    return std::unexpected("`" + argv[0] + "` not found (install iproute2 and nftables, see scripts/install-deps.sh)");
  support::SpawnOptions o;
  o.argv = argv;
  o.out = support::Redirect::capture();
  o.err = support::Redirect::to_stdout();
  auto r = support::run(o, kCommandTimeout);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code == 0) return std::move(r->out);
  std::string output = std::move(r->out);
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  const std::string how = !r->exit_code         ? "timed out, killed"
                          : *r->exit_code > 128 ? "killed by a signal"
                                                : "exit status " + std::to_string(*r->exit_code);
  return std::unexpected("`" + support::command_line(argv) + "` failed (" + how + ")" +
                         (output.empty() ? "" : ": " + output));
}

std::uint32_t devnet_dir_hash(const std::filesystem::path& dir) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : dir.lexically_normal().string()) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::string devnet_prefix(std::uint32_t dir_hash) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "%04x", static_cast<unsigned>(dir_hash & 0xffff));
  return std::string("tly") + hex;
}

json::object to_json(const NetnsPlan& p) {
  json::array namespaces, veths;
  for (std::size_t i = 0; i < p.nodes; ++i) {
    namespaces.emplace_back(p.ns(i));
    veths.emplace_back(json::array{json::string(p.host_veth(i)), json::string(p.node_veth(i))});
  }
  return json::object{{"prefix", p.prefix},           {"subnet", p.subnet},    {"nodes", p.nodes},
                      {"cidr", p.cidr()},             {"bridge", p.bridge()},  {"bridge_ip", p.bridge_ip()},
                      {"namespaces", std::move(namespaces)}, {"veths", std::move(veths)}, {"nft_table", kNftTable}};
}

NetnsPlan tag_invoke(json::value_to_tag<NetnsPlan>, const json::value& v) {
  const json::object& o = base::json_object(v);
  NetnsPlan p;
  p.prefix = base::json_field<std::string>(o, "prefix");
  p.subnet = base::json_field<unsigned>(o, "subnet");
  p.nodes = base::json_field<std::size_t>(o, "nodes");
  if (!p.prefix.starts_with("tly") || p.prefix.size() != 7 || p.subnet == 0 || p.subnet > 254)
    base::json_fail("not a plan of tally-devnet's");
  return p;
}

std::expected<NetnsPlan, std::string> netns_plan_from_json(const json::value& v) {
  auto plan = base::read_json<NetnsPlan>(v);
  if (!plan) return std::unexpected("bad \"netns\" record: " + plan.error());
  return plan;
}

std::expected<void, std::string> check_netns_support() {
  if (::geteuid() != 0) return std::unexpected(std::string("netns mode needs root; use the default loopback mode (--net loopback)"));
  if (support::find_program("ip").empty())
    return std::unexpected(std::string("netns mode needs `ip` (iproute2); install it or use the default loopback mode"));
  const std::string probe = "tlyprobe-" + std::to_string(::getpid());
  if (auto r = run({"ip", "netns", "add", probe}); !r)
    return std::unexpected("network namespaces do not work here (" + r.error() + "); use the default loopback mode");
  (void)run({"ip", "netns", "del", probe});
  return {};
}

std::expected<NetnsPlan, std::string> plan_netns(const std::filesystem::path& dir, std::size_t nodes) {
  if (nodes == 0 || nodes > kMaxNetnsNodes)
    return std::unexpected("netns mode supports 1 to " + std::to_string(kMaxNetnsNodes) + " nodes");
  const std::uint32_t h = devnet_dir_hash(dir);
  NetnsPlan p;
  p.prefix = devnet_prefix(h);
  p.nodes = nodes;
  auto addrs = run_command({"ip", "-o", "-4", "addr", "show"});
  if (!addrs) return std::unexpected(addrs.error());
  auto links = run_command({"ip", "-o", "link", "show"});
  if (!links) return std::unexpected(links.error());
  if (links->find(" " + p.bridge() + ":") != std::string::npos || links->find(" " + p.bridge() + "@") != std::string::npos)
    return std::unexpected("bridge " + p.bridge() + " already exists: a netns devnet of this directory is still set up; run `tally-devnet down --dir " +
                           dir.string() + "`");
  const unsigned start = (h >> 16) % 250;
  for (unsigned k = 0; k < 250; ++k) {
    const unsigned x = (start + k) % 250 + 1;
    if (addrs->find("10.213." + std::to_string(x) + ".") == std::string::npos) {
      p.subnet = x;
      return p;
    }
  }
  return std::unexpected(std::string("no free 10.213.X.0/24 subnet left"));
}

std::vector<std::string> netns_exec_prefix(const NetnsPlan& plan, std::size_t i) {
  return {"ip", "netns", "exec", plan.ns(i)};
}

std::expected<void, std::string> netns_create(const NetnsPlan& p) {
  const std::string br = p.bridge();
  if (auto r = run({"ip", "link", "add", br, "type", "bridge"}); !r) return r;
  if (auto r = run({"ip", "addr", "add", p.bridge_ip() + "/24", "dev", br}); !r) return r;
  if (auto r = run({"ip", "link", "set", br, "up"}); !r) return r;
  for (std::size_t i = 0; i < p.nodes; ++i) {
    const std::string ns = p.ns(i), hv = p.host_veth(i), nv = p.node_veth(i);
    if (auto r = run({"ip", "netns", "add", ns}); !r) return r;
    if (auto r = run({"ip", "-n", ns, "link", "set", "lo", "up"}); !r) return r;
    if (auto r = run({"ip", "link", "add", hv, "type", "veth", "peer", "name", nv, "netns", ns}); !r) return r;
    if (auto r = run({"ip", "link", "set", hv, "master", br}); !r) return r;
    if (auto r = run({"ip", "link", "set", hv, "up"}); !r) return r;
    if (auto r = run({"ip", "-n", ns, "addr", "add", p.node_ip(i) + "/24", "dev", nv}); !r) return r;
    if (auto r = run({"ip", "-n", ns, "link", "set", nv, "up"}); !r) return r;
  }
  return {};
}

bool netem_available(const NetnsPlan& p) {
  if (!run({"tc", "qdisc", "add", "dev", p.bridge(), "root", "netem", "delay", "1ms"})) return false;
  (void)run({"tc", "qdisc", "del", "dev", p.bridge(), "root"});
  return true;
}

std::expected<void, std::string> netns_shape(const NetnsPlan& p, const NetnsShaping& s) {
  const bool want_netem = !s.latency.empty() || !s.jitter.empty() || !s.loss.empty();
  if (want_netem && !netem_available(p))
    return std::unexpected(std::string(
        "this kernel has no netem qdisc (`tc qdisc add ... netem` fails), so --latency/--jitter/--loss cannot be "
        "applied in the network; use the default loopback mode's in-node shaping instead "
        "(tally-devnet up --net loopback --latency 50ms --jitter 10ms), or load the sch_netem module"));
  if (!want_netem && s.rate.empty()) return {};
  for (std::size_t i = 0; i < p.nodes; ++i) {
    std::vector<std::string> cmd{"tc", "-n", p.ns(i), "qdisc", "replace", "dev", p.node_veth(i), "root"};
    if (want_netem) {
      cmd.push_back("netem");
      if (!s.latency.empty() || !s.jitter.empty()) {
        cmd.insert(cmd.end(), {"delay", s.latency.empty() ? "0ms" : s.latency});
        if (!s.jitter.empty()) cmd.push_back(s.jitter);
      }
      if (!s.loss.empty()) cmd.insert(cmd.end(), {"loss", s.loss.ends_with('%') ? s.loss : s.loss + "%"});
      if (!s.rate.empty()) cmd.insert(cmd.end(), {"rate", s.rate});
    } else {
      cmd.insert(cmd.end(), {"tbf", "rate", s.rate, "burst", "32kb", "latency", "400ms"});
    }
    if (auto r = run(cmd); !r) return r;
  }
  return {};
}

std::expected<void, std::string> netns_partition(const NetnsPlan& p, const std::vector<std::vector<std::size_t>>& groups) {
  if (support::find_program("nft").empty())
    return std::unexpected(std::string("netns partitions need `nft` (apt-get install nftables)"));
  if (auto h = netns_heal(p); !h) return h;
  for (const auto& group : groups) {
    std::string others;
    for (const auto& other : groups) {
      if (&other == &group) continue;
      for (std::size_t j : other) others += (others.empty() ? "" : ", ") + p.node_ip(j);
    }
    if (others.empty()) continue;
    for (std::size_t i : group) {
      if (i >= p.nodes) return std::unexpected("no node " + std::to_string(i));
      if (auto r = run(in_ns(p, i, {"nft", "add", "table", "inet", kNftTable})); !r) return r;
      for (const auto& [chain, hook, dir] : {std::tuple{"in", "input", "saddr"}, std::tuple{"out", "output", "daddr"}}) {
        if (auto r = run(in_ns(p, i, {"nft", "add", "chain", "inet", kNftTable, chain, "{", "type", "filter", "hook", hook,
                                      "priority", "0", ";", "policy", "accept", ";", "}"}));
            !r)
          return r;
        if (auto r = run(in_ns(p, i, {"nft", "add", "rule", "inet", kNftTable, chain, "ip", dir, "{ " + others + " }", "drop"}));
            !r)
          return r;
      }
    }
  }
  return {};
}

std::expected<void, std::string> netns_heal(const NetnsPlan& p) {
  if (support::find_program("nft").empty()) return {};  // nothing can have been set
  std::string errors;
  for (std::size_t i = 0; i < p.nodes; ++i) {
    auto r = run(in_ns(p, i, {"nft", "delete", "table", "inet", kNftTable}));
    if (!r && !mentions_missing(r.error())) errors += (errors.empty() ? "" : "; ") + r.error();
  }
  if (!errors.empty()) return std::unexpected(errors);
  return {};
}

std::expected<void, std::string> netns_teardown(const NetnsPlan& p) {
  std::string errors;
  auto note = [&](const std::expected<void, std::string>& r) {
    if (!r && !mentions_missing(r.error())) errors += (errors.empty() ? "" : "; ") + r.error();
  };
  auto listed = run_command({"ip", "netns", "list"});
  for (std::size_t i = 0; i < p.nodes; ++i) {
    note(run({"ip", "link", "del", p.host_veth(i)}));  // takes its peer (and the peer's qdisc) along
    const std::string ns = p.ns(i);
    const bool present = !listed || listed->find(ns + " ") != std::string::npos || listed->find(ns + "\n") != std::string::npos;
    if (present) note(run({"ip", "netns", "del", ns}));
  }
  note(run({"ip", "link", "del", p.bridge()}));
  if (!errors.empty()) return std::unexpected(errors);
  return {};
}

}  // namespace tally::devnet
