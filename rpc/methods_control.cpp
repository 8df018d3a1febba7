// Control methods: help, uptime, stop; and the table of every method.
#include "rpc/method_util.h"
#include "rpc/methods.h"

namespace tally::rpc {

namespace json = boost::json;

namespace {

json::value help(const Params& params, RequestContext& ctx) {
  if (ctx.methods == nullptr) throw RpcError(kInternalError, "Internal error: no method table");
  const MethodTable& table = *ctx.methods;
  if (auto name = params.get_opt_string(0, "command")) {
    const Method* m = table.find(*name);
    if (m == nullptr) throw RpcError(kMethodNotFound, "Method not found: " + std::string(*name));
    return json::value(m->usage() + "\n" + m->summary);
  }
  // Grouped by category, each group sorted by name (the table's order).
  std::map<std::string, std::string> groups;
  for (const auto& [method_name, m] : table.methods) groups[m.category] += m.usage() + "\n";
  std::string out;
  for (const auto& [category, lines] : groups) {
    if (!out.empty()) out += "\n";
    out += "== " + category + " ==\n" + lines;
  }
  return json::value(out);
}

json::value uptime(const Params&, RequestContext& ctx) { return node_of(ctx).uptime_s(); }

json::value stop(const Params&, RequestContext& ctx) {
  node_of(ctx).request_stop();
  return json::value("Tally server stopping");
}

}  // namespace

void add_control_methods(MethodTable& t) {
  t.add({"help", "control", {{"command", false}}, "Lists every method, or shows one method's usage.", help});
  t.add({"uptime", "control", {}, "Seconds since the node started.", uptime});
  t.add({"stop", "control", {}, "Shuts the node down cleanly.", stop});
}

MethodTable node_methods() {
  MethodTable t;
  add_chain_methods(t);
  add_tx_methods(t);
  add_network_methods(t);
  add_mining_methods(t);
  add_control_methods(t);
  add_testing_methods(t);
  return t;
}

}  // namespace tally::rpc
