#include "devnet/layout.h"

#include "base/json_pretty.h"

#include <boost/json.hpp>

#include "base/files.h"
#include "base/json_read.h"

namespace tally::devnet {

namespace json = boost::json;
using base::json_field;
using base::json_optional;

std::string pretty_json(const json::value& v) {
  // Arrays of scalars (edges, args, groups) stay on one line.
  return base::pretty_json(v, {.scalar_arrays_inline = true}) + "\n";
}

json::value to_json(const Layout& l) {
  json::array nodes;
  for (const NodeRecord& n : l.nodes) {
    json::array args;
    for (const auto& a : n.args) args.emplace_back(a);
    nodes.emplace_back(json::object{{"index", n.index},       {"name", n.name},
                                    {"datadir", n.datadir.string()}, {"p2p_port", n.p2p_port},
                                    {"rpc_port", n.rpc_port}, {"pid", n.pid},
                                    {"mining", n.mining},     {"args", std::move(args)}});
    if (n.host != "127.0.0.1") nodes.back().as_object()["host"] = n.host;
    if (!n.netns.empty()) nodes.back().as_object()["netns"] = n.netns;
    if (!n.container.empty()) nodes.back().as_object()["container"] = n.container;
    if (n.relay_only) nodes.back().as_object()["relay_only"] = true;
  }
  json::array edges;
  for (const auto& [a, b] : l.edges) edges.emplace_back(json::array{a, b});
  json::array partition;
  for (const auto& g : l.partition) {
    json::array group;
    for (std::size_t i : g) group.emplace_back(i);
    partition.emplace_back(std::move(group));
  }
  json::object out{{"version", kLayoutVersion},
                      {"dir", l.dir.string()},
                      {"tallyd", l.tallyd.string()},
                      {"chain", l.chain.string()},
                      {"topology", to_string(l.topology)},
                      {"seed", l.seed},
                      {"created_unix_s", l.created_unix_s},
                      {"options", l.options},
                      {"edges", std::move(edges)},
                      {"partition", std::move(partition)},
                      {"nodes", std::move(nodes)}};
  out["net"] = l.net;
  if (!l.netns.empty()) out["netns"] = l.netns;
  if (!l.containers.empty()) out["containers"] = l.containers;
  return out;
}

NodeRecord tag_invoke(json::value_to_tag<NodeRecord>, const json::value& v) {
  const json::object& o = base::json_object(v, "a node is not an object");
  NodeRecord n;
  n.index = json_field<std::size_t>(o, "index");
  n.name = json_field<std::string>(o, "name");
  n.datadir = json_field<std::string>(o, "datadir");
  n.p2p_port = json_field<std::uint16_t>(o, "p2p_port");
  n.rpc_port = json_field<std::uint16_t>(o, "rpc_port");
  n.pid = json_field<int>(o, "pid");
  n.mining = json_optional<bool>(o, "mining").value_or(false);
  n.args = json_optional<std::vector<std::string>>(o, "args").value_or(std::vector<std::string>{});
  n.host = json_optional<std::string>(o, "host").value_or("127.0.0.1");
  n.netns = json_optional<std::string>(o, "netns").value_or("");
  n.container = json_optional<std::string>(o, "container").value_or("");
  n.relay_only = json_optional<bool>(o, "relay_only").value_or(false);
  return n;
}

Layout tag_invoke(json::value_to_tag<Layout>, const json::value& v) {
  const json::object& o = base::json_object(v, "not a JSON object");
  const int version = json_field<int>(o, "version");
  if (version != kLayoutVersion) base::json_fail("unsupported layout version " + std::to_string(version));
  Layout l;
  l.dir = json_field<std::string>(o, "dir");
  l.tallyd = json_field<std::string>(o, "tallyd");
  l.chain = json_field<std::string>(o, "chain");
  l.topology = json_field(o, "topology", [](const json::value& t) {
    auto topology = parse_topology(base::json_string(t));
    if (!topology) base::json_fail(topology.error());
    return *topology;
  });
  l.seed = json_optional<std::uint64_t>(o, "seed").value_or(0);
  l.created_unix_s = json_optional<std::int64_t>(o, "created_unix_s").value_or(0);
  if (auto opts = json_optional(o, "options", [](const json::value& x) { return base::json_object(x); })) l.options = *opts;
  l.net = json_optional<std::string>(o, "net").value_or("loopback");
  if (auto ns = json_optional(o, "netns", [](const json::value& x) { return base::json_object(x); })) l.netns = *ns;
  if (auto c = json_optional(o, "containers", [](const json::value& x) { return base::json_object(x); }))
    l.containers = *c;
  auto edges = json_optional(o, "edges", [](const json::value& x) {
    return base::json_elements(x, [](const json::value& e) {
      const auto ends = base::json_read<std::vector<std::size_t>>(e);
      if (ends.size() != 2) base::json_fail("an edge is [a, b]");
      return Edge(ends[0], ends[1]);
    });
  });
  if (edges) l.edges = std::move(*edges);
  l.partition = json_optional<std::vector<std::vector<std::size_t>>>(o, "partition").value_or(l.partition);
  l.nodes = json_field(o, "nodes", [](const json::value& x) {
    auto nodes = base::json_read<std::vector<NodeRecord>>(x);
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i].index != i) base::json_fail("nodes are not in index order");
    return nodes;
  });
  return l;
}

std::expected<Layout, std::string> layout_from_json(const json::value& v) { return base::read_json<Layout>(v); }

std::expected<Layout, std::string> load_layout(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / kLayoutFileName;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec))
    return std::unexpected("no devnet in " + dir.string() + " (" + file.string() + " not found; run `tally-devnet up`)");
  auto text = base::read_file(file);
  if (!text) return std::unexpected(text.error());
  json::value v;
  try {
    v = json::parse(*text);
  } catch (const std::exception& e) {
    return std::unexpected(file.string() + ": " + e.what());
  }
  auto layout = layout_from_json(v);
  if (!layout) return std::unexpected(file.string() + ": " + layout.error());
  return layout;
}

std::expected<void, std::string> save_layout(const Layout& layout) {
  return base::write_file_atomic(layout.file(), pretty_json(to_json(layout)));
}

}  // namespace tally::devnet
