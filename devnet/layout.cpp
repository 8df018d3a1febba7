#include "devnet/layout.h"

#include <boost/json.hpp>

#include "base/files.h"

namespace tally::devnet {

namespace json = boost::json;

namespace {

void pretty(const json::value& v, std::string& out, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) + 2, ' ');
  const std::string close(static_cast<std::size_t>(indent), ' ');
  if (v.is_object() && !v.get_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& kv : v.get_object()) {
      if (!first) out += ",\n";
      first = false;
      out += pad + json::serialize(json::string(kv.key())) + ": ";
      pretty(kv.value(), out, indent + 2);
    }
    out += "\n" + close + "}";
  } else if (v.is_array() && !v.get_array().empty()) {
    // Arrays of scalars (edges, args, groups) stay on one line.
    bool scalars = true;
    for (const auto& e : v.get_array()) {
      if (e.is_object() || (e.is_array() && !e.get_array().empty() && e.get_array()[0].is_structured()))
        scalars = false;
    }
    if (scalars) {
      out += json::serialize(v);
      return;
    }
    out += "[\n";
    bool first = true;
    for (const auto& e : v.get_array()) {
      if (!first) out += ",\n";
      first = false;
      out += pad;
      pretty(e, out, indent + 2);
    }
    out += "\n" + close + "]";
  } else {
    out += json::serialize(v);
  }
}

template <class T>
std::expected<T, std::string> get_number(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return std::unexpected(std::string("missing \"") + key + "\"");
  std::error_code ec;
  const T out = v->to_number<T>(ec);
  if (ec) return std::unexpected(std::string("\"") + key + "\" is not a valid number");
  return out;
}

std::expected<std::string, std::string> get_string(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::unexpected(std::string("missing string \"") + key + "\"");
  return std::string(v->get_string());
}

std::expected<NodeRecord, std::string> node_from_json(const json::value& v) {
  if (!v.is_object()) return std::unexpected(std::string("a node is not an object"));
  const json::object& o = v.get_object();
  NodeRecord n;
  auto index = get_number<std::size_t>(o, "index");
  auto name = get_string(o, "name");
  auto datadir = get_string(o, "datadir");
  auto p2p = get_number<std::uint16_t>(o, "p2p_port");
  auto rpc = get_number<std::uint16_t>(o, "rpc_port");
  auto pid = get_number<int>(o, "pid");
  if (!index) return std::unexpected(index.error());
  if (!name) return std::unexpected(name.error());
  if (!datadir) return std::unexpected(datadir.error());
  if (!p2p) return std::unexpected(p2p.error());
  if (!rpc) return std::unexpected(rpc.error());
  if (!pid) return std::unexpected(pid.error());
  n.index = *index;
  n.name = *name;
  n.datadir = *datadir;
  n.p2p_port = *p2p;
  n.rpc_port = *rpc;
  n.pid = *pid;
  if (const json::value* m = o.if_contains("mining"); m != nullptr && m->is_bool()) n.mining = m->get_bool();
  if (const json::value* a = o.if_contains("args"); a != nullptr && a->is_array()) {
    for (const auto& e : a->get_array()) {
      if (!e.is_string()) return std::unexpected(std::string("\"args\" must hold strings"));
      n.args.emplace_back(e.get_string());
    }
  }
  if (const json::value* h = o.if_contains("host"); h != nullptr && h->is_string()) n.host = std::string(h->get_string());
  if (const json::value* ns = o.if_contains("netns"); ns != nullptr && ns->is_string()) n.netns = std::string(ns->get_string());
  return n;
}

}  // namespace

std::string pretty_json(const json::value& v) {
  std::string out;
  pretty(v, out, 0);
  out += "\n";
  return out;
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
  return out;
}

std::expected<Layout, std::string> layout_from_json(const json::value& v) {
  if (!v.is_object()) return std::unexpected(std::string("not a JSON object"));
  const json::object& o = v.get_object();
  auto version = get_number<int>(o, "version");
  if (!version) return std::unexpected(version.error());
  if (*version != kLayoutVersion) return std::unexpected("unsupported layout version " + std::to_string(*version));
  Layout l;
  auto dir = get_string(o, "dir");
  auto tallyd = get_string(o, "tallyd");
  auto chain = get_string(o, "chain");
  auto topology_text = get_string(o, "topology");
  if (!dir) return std::unexpected(dir.error());
  if (!tallyd) return std::unexpected(tallyd.error());
  if (!chain) return std::unexpected(chain.error());
  if (!topology_text) return std::unexpected(topology_text.error());
  auto topology = parse_topology(*topology_text);
  if (!topology) return std::unexpected(topology.error());
  l.dir = *dir;
  l.tallyd = *tallyd;
  l.chain = *chain;
  l.topology = *topology;
  if (auto seed = get_number<std::uint64_t>(o, "seed")) l.seed = *seed;
  if (auto created = get_number<std::int64_t>(o, "created_unix_s")) l.created_unix_s = *created;
  if (const json::value* opts = o.if_contains("options"); opts != nullptr && opts->is_object())
    l.options = opts->get_object();
  if (const json::value* net = o.if_contains("net"); net != nullptr && net->is_string()) l.net = std::string(net->get_string());
  if (const json::value* ns = o.if_contains("netns"); ns != nullptr && ns->is_object()) l.netns = ns->get_object();
  if (const json::value* edges = o.if_contains("edges"); edges != nullptr && edges->is_array()) {
    for (const auto& e : edges->get_array()) {
      if (!e.is_array() || e.get_array().size() != 2) return std::unexpected(std::string("bad edge"));
      std::error_code ec1, ec2;
      const auto a = e.get_array()[0].to_number<std::size_t>(ec1);
      const auto b = e.get_array()[1].to_number<std::size_t>(ec2);
      if (ec1 || ec2) return std::unexpected(std::string("bad edge"));
      l.edges.emplace_back(a, b);
    }
  }
  if (const json::value* p = o.if_contains("partition"); p != nullptr && p->is_array()) {
    for (const auto& g : p->get_array()) {
      if (!g.is_array()) return std::unexpected(std::string("bad partition group"));
      std::vector<std::size_t> group;
      for (const auto& i : g.get_array()) {
        std::error_code ec;
        group.push_back(i.to_number<std::size_t>(ec));
        if (ec) return std::unexpected(std::string("bad partition group"));
      }
      l.partition.push_back(std::move(group));
    }
  }
  const json::value* nodes = o.if_contains("nodes");
  if (nodes == nullptr || !nodes->is_array()) return std::unexpected(std::string("missing \"nodes\""));
  for (const auto& n : nodes->get_array()) {
    auto rec = node_from_json(n);
    if (!rec) return std::unexpected("nodes[" + std::to_string(l.nodes.size()) + "]: " + rec.error());
    if (rec->index != l.nodes.size()) return std::unexpected(std::string("nodes are not in index order"));
    l.nodes.push_back(std::move(*rec));
  }
  return l;
}

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
