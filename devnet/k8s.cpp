#include "devnet/k8s.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <system_error>

#include "base/files.h"
#include "crypto/address.h"
#include "crypto/hex.h"
#include "crypto/random.h"
#include "devnet/layout.h"
#include "devnet/load.h"
#include "devnet/scenario.h"
#include "devnet/yaml.h"
#include "ledger/chain_spec.h"
#include "ledger/embedded_spec.h"
#include "rpc/auth.h"

namespace tally::devnet {

namespace json = boost::json;

namespace {

using Error = std::unexpected<std::string>;

constexpr const char* kConfDir = "/etc/tally";
constexpr const char* kDataDir = "/data";
constexpr std::int64_t kUid = 10001;  // the image's user `tally` (scripts/image.sh)
constexpr int kLoadBackoffLimit = 6;  // the Job's pod fails while no node answers yet

std::string random_hex(std::size_t bytes) {
  std::vector<std::uint8_t> b(bytes);
  crypto::random_bytes(b);
  return crypto::to_hex(crypto::ByteSpan(b.data(), b.size()));
}

// RFC 1123 label: what Kubernetes takes as a Service name (and so in every pod's DNS name).
bool dns_label(const std::string& s, std::size_t max_size) {
  if (s.empty() || s.size() > max_size || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

// "250m", "1", "0.5", "128Mi", "1Gi", "1e3": digits first, then a plain suffix.
bool quantity(const std::string& s) {
  if (s.empty() || s.size() > 32 || !(s.front() >= '0' && s.front() <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.'; });
}

std::string with_newline(std::string s) {
  if (s.empty() || s.back() != '\n') s.push_back('\n');
  return s;
}

json::object metadata(const std::string& name, const K8sSettings& k8s) {
  return {{"name", name}, {"namespace", k8s.ns}, {"labels", {{"app.kubernetes.io/name", "tally"},
                                                             {"app.kubernetes.io/instance", k8s.name}}}};
}

json::object resources(const K8sSettings& k8s) {
  return {{"requests", {{"cpu", k8s.cpu_request}, {"memory", k8s.memory_request}}},
          {"limits", {{"cpu", k8s.cpu_limit}, {"memory", k8s.memory_limit}}}};
}

json::object secret_env(const std::string& env, const K8sSettings& k8s, const std::string& key) {
  return {{"name", env}, {"valueFrom", {{"secretKeyRef", {{"name", k8s.name + "-rpc"}, {"key", key}}}}}};
}

json::object pod_security() { return {{"runAsNonRoot", true}, {"runAsUser", kUid}, {"runAsGroup", kUid}, {"fsGroup", kUid}}; }

json::object container_security() {
  return {{"allowPrivilegeEscalation", false}, {"capabilities", {{"drop", json::array{"ALL"}}}}};
}

json::object config_volume(const K8sSettings& k8s) {
  return {{"name", "config"}, {"configMap", {{"name", k8s.name + "-config"}}}};
}

json::object probe(int initial_delay_s, int period_s) {
  return {{"httpGet", {{"path", "/health"}, {"port", kK8sRpcPort}}},
          {"initialDelaySeconds", initial_delay_s},
          {"periodSeconds", period_s},
          {"timeoutSeconds", 3}};
}

// Extra tallyd flags ("--key=value" or "--key value") as config lines.
std::expected<std::vector<std::string>, std::string> conf_lines(const std::vector<std::string>& args) {
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!a.starts_with("--") || a.size() < 3) return Error("--tallyd-arg " + a + ": expected --flag=value");
    const auto eq = a.find('=');
    if (eq != std::string::npos) lines.push_back(a.substr(2, eq - 2) + "=" + a.substr(eq + 1));
    else if (i + 1 < args.size() && !args[i + 1].starts_with("--")) lines.push_back(a.substr(2) + "=" + args[++i]);
    else return Error("--tallyd-arg " + a + ": expected --flag=value");
  }
  return lines;
}

json::object config_map(const K8sSettings& k8s, const std::string& chain, const std::vector<std::string>& confs) {
  json::object data;
  data["chain.json"] = chain;
  for (std::size_t i = 0; i < confs.size(); ++i) data[k8s.name + "-" + std::to_string(i) + ".conf"] = confs[i];
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", metadata(k8s.name + "-config", k8s)}, {"data", data}};
}

json::object secret(const K8sSettings& k8s, const RpcSecret& s) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", metadata(k8s.name + "-rpc", k8s)},
          {"type", "Opaque"},
          {"stringData", {{"user", s.user}, {"password", s.password}, {"rpcauth", s.rpcauth}}}};
}

json::object selector_labels(const K8sSettings& k8s) {
  return {{"app.kubernetes.io/name", "tally"}, {"app.kubernetes.io/instance", k8s.name},
          {"app.kubernetes.io/component", "node"}};
}

json::object service(const K8sSettings& k8s) {
  json::array ports{json::object{{"name", "p2p"}, {"port", kK8sP2pPort}, {"targetPort", kK8sP2pPort}},
                    json::object{{"name", "rpc"}, {"port", kK8sRpcPort}, {"targetPort", kK8sRpcPort}}};
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", metadata(k8s.name, k8s)},
          {"spec", {{"clusterIP", "None"},  // headless: one DNS name per pod
                    {"publishNotReadyAddresses", true},  // peers resolve each other before they are ready
                    {"selector", selector_labels(k8s)},
                    {"ports", ports}}}};
}

json::object node_container(const K8sSettings& k8s) {
  json::array env{json::object{{"name", "POD_NAME"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}},
                  secret_env("TALLY_RPCAUTH", k8s, "rpcauth")};
  json::array ports{json::object{{"name", "p2p"}, {"containerPort", kK8sP2pPort}},
                    json::object{{"name", "rpc"}, {"containerPort", kK8sRpcPort}}};
  json::array mounts{json::object{{"name", "config"}, {"mountPath", kConfDir}, {"readOnly", true}},
                     json::object{{"name", "data"}, {"mountPath", kDataDir}}};
  return {{"name", "tallyd"},
          {"image", k8s.image},
          {"imagePullPolicy", "IfNotPresent"},
          // Kubernetes expands $(POD_NAME): each pod reads its own config file.
          {"args", json::array{std::string("--conf=") + kConfDir + "/$(POD_NAME).conf"}},
          {"env", env},
          {"ports", ports},
          {"volumeMounts", mounts},
          {"resources", resources(k8s)},
          {"readinessProbe", probe(5, 10)},
          {"livenessProbe", probe(30, 20)},
          {"securityContext", container_security()}};
}

json::object stateful_set(const UpOptions& up, const K8sSettings& k8s) {
  json::object pod_metadata{{"labels", selector_labels(k8s)},
                            {"annotations", {{"prometheus.io/scrape", "true"},
                                             {"prometheus.io/port", std::to_string(kK8sRpcPort)},
                                             {"prometheus.io/path", "/metrics"}}}};
  json::object pod_spec{{"securityContext", pod_security()},
                        {"terminationGracePeriodSeconds", 30},
                        {"containers", json::array{node_container(k8s)}},
                        {"volumes", json::array{config_volume(k8s)}}};
  json::object claim{{"metadata", {{"name", "data"}}},
                     {"spec", {{"accessModes", json::array{"ReadWriteOnce"}},
                               {"resources", {{"requests", {{"storage", k8s.storage}}}}}}}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "StatefulSet"},
          {"metadata", metadata(k8s.name, k8s)},
          {"spec", {{"serviceName", k8s.name},
                    {"replicas", up.nodes},
                    {"podManagementPolicy", "Parallel"},  // nodes find each other by name in any order
                    {"selector", {{"matchLabels", selector_labels(k8s)}}},
                    {"template", {{"metadata", pod_metadata}, {"spec", pod_spec}}},
                    {"volumeClaimTemplates", json::array{claim}}}}};
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

json::object load_job(const UpOptions& up, const K8sSettings& k8s) {
  json::array args{"load"};
  for (std::size_t i = 0; i < up.nodes; ++i) {
    const NodeOverride* own = override_of(up, i);
    if (own && own->relay_only) continue;  // relay-only personas get no transactions
    args.emplace_back("--rpc=" + pod_host(k8s, i) + ":" + std::to_string(kK8sRpcPort));
  }
  args.emplace_back("--chain=" + std::string(kConfDir) + "/chain.json");
  args.emplace_back("--tps=" + number_text(k8s.load_tps.value_or(10)));
  args.emplace_back("--duration=" + number_text(k8s.load_duration_s) + "s");
  if (up.seed != 0) args.emplace_back("--seed=" + std::to_string(up.seed));
  json::object container{{"name", "load"},
                         {"image", k8s.image},
                         {"imagePullPolicy", "IfNotPresent"},
                         {"command", json::array{"/usr/local/bin/tally-devnet"}},
                         {"args", args},
                         {"env", json::array{secret_env("TALLY_RPCUSER", k8s, "user"),
                                             secret_env("TALLY_RPCPASSWORD", k8s, "password")}},
                         {"volumeMounts", json::array{json::object{{"name", "config"}, {"mountPath", kConfDir},
                                                                   {"readOnly", true}}}},
                         {"resources", resources(k8s)},
                         {"securityContext", container_security()}};
  json::object pod{{"metadata", {{"labels", {{"app.kubernetes.io/name", "tally"},
                                             {"app.kubernetes.io/instance", k8s.name},
                                             {"app.kubernetes.io/component", "load"}}}}},
                   {"spec", {{"restartPolicy", "Never"},
                             {"securityContext", pod_security()},
                             {"containers", json::array{container}},
                             {"volumes", json::array{config_volume(k8s)}}}}};
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", metadata(k8s.name + "-load", k8s)},
          // Without --load-tps the Job waits: kubectl patch job NAME-load -p '{"spec":{"suspend":false}}'.
          {"spec", {{"suspend", !k8s.load_tps.has_value()}, {"backoffLimit", kLoadBackoffLimit}, {"template", pod}}}};
}

}  // namespace

RpcSecret make_rpc_secret() {
  RpcSecret s;
  s.password = random_hex(16);
  s.rpcauth = rpc::rpcauth_line(s.user, s.password, random_hex(16));
  return s;
}

std::expected<void, std::string> validate(const UpOptions& up, const K8sSettings& k8s) {
  // The pod name <name>-<i> must stay a label; StatefulSet names beyond 52 break its pods' labels.
  if (!dns_label(k8s.name, 52)) return Error("--name " + k8s.name + ": expected lowercase letters, digits and '-' (at most 52)");
  if (!dns_label(k8s.ns, 63)) return Error("--namespace " + k8s.ns + ": expected lowercase letters, digits and '-' (at most 63)");
  if (k8s.image.empty() || k8s.image.find_first_of(" \t\n") != std::string::npos)
    return Error("--image: expected an image reference such as tally:0.1.0");
  const std::array<std::pair<const char*, const std::string*>, 5> quantities{
      {{"--storage", &k8s.storage}, {"--cpu-request", &k8s.cpu_request}, {"--cpu-limit", &k8s.cpu_limit},
       {"--memory-request", &k8s.memory_request}, {"--memory-limit", &k8s.memory_limit}}};
  for (const auto& [flag, value] : quantities)
    if (!quantity(*value)) return Error(std::string(flag) + " " + *value + ": expected a quantity such as 250m, 1 or 512Mi");
  if (k8s.load_tps && !(*k8s.load_tps > 0)) return Error(std::string("--load-tps must be positive"));
  if (!(k8s.load_duration_s > 0)) return Error(std::string("--load-duration must be positive"));
  if (k8s.format != "yaml" && k8s.format != "json") return Error(std::string("--format must be yaml or json"));
  if (auto ok = conf_lines(up.tallyd_args); !ok) return Error(ok.error());
  return validate(up);
}

std::expected<std::vector<std::string>, std::string> apply_scenario_file(const std::filesystem::path& file,
                                                                         UpOptions& up, K8sSettings& k8s) {
  auto s = load_scenario_file(file);
  if (!s) return Error(s.error());
  UpOptions from = up_options(*s, up.dir);
  from.tallyd_args = up.tallyd_args;
  from.threads_per_miner = up.threads_per_miner;
  from.calibrate = false;
  if (up.block_time_s) from.block_time_s = up.block_time_s;
  if (!up.chain.empty()) from.chain = up.chain;
  up = std::move(from);
  if (!k8s.load_tps && s->load_tps) k8s.load_tps = s->load_tps;
  if (s->load_tps && s->duration_s > 0) k8s.load_duration_s = s->duration_s;
  std::vector<std::string> ignored;
  for (const LinkOverride& l : s->link_overrides)
    ignored.push_back("link_overrides " + std::to_string(l.a) + "-" + std::to_string(l.b) +
                      ": per-link shaping needs the peers' addresses");
  for (const ScenarioEvent& e : timeline(*s))
    ignored.push_back(e.origin + " (" + describe(e) + " at " + number_text(e.at_s) +
                      " s): timed events are not manifests; use kubectl or tally-devnet scenario");
  return ignored;
}

std::expected<std::string, std::string> k8s_chain_text(const UpOptions& up) {
  std::string text = ledger::embedded_devnet_spec();
  if (!up.chain.empty()) {
    auto t = base::read_file(up.chain);
    if (!t) return Error("--chain: " + t.error());
    text = std::move(*t);
  }
  if (up.block_time_s) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return Error(std::string("chain spec: not a JSON object"));
    v.get_object()["block_interval_s"] = *up.block_time_s;
    text = pretty_json(v);
  }
  if (auto spec = ledger::parse_chain_spec(text); !spec) return Error("chain spec: " + spec.error());
  return with_newline(std::move(text));
}

std::string pod_host(const K8sSettings& k8s, std::size_t node) {
  return k8s.name + "-" + std::to_string(node) + "." + k8s.name + "." + k8s.ns + ".svc.cluster.local";
}

std::expected<std::string, std::string> node_conf(const UpOptions& up, const K8sSettings& k8s,
                                                  const std::string& address_prefix, std::size_t node) {
  const std::string name = k8s.name + "-" + std::to_string(node);
  std::vector<std::string> lines{"# tallyd configuration of " + name + " (tally-devnet k8s)",
                                 std::string("datadir=") + kDataDir,
                                 std::string("chain=") + kConfDir + "/chain.json",
                                 "name=" + name,
                                 "port=" + std::to_string(kK8sP2pPort),
                                 "rpcport=" + std::to_string(kK8sRpcPort),
                                 "bind=0.0.0.0",
                                 "rpcbind=0.0.0.0",
                                 "rpcallowip=0.0.0.0/0",
                                 "eventlog=1",
                                 "printtoconsole=1"};
  auto peer = [&](std::size_t j) { return pod_host(k8s, j) + ":" + std::to_string(kK8sP2pPort); };
  const NodeOverride* own = override_of(up, node);
  // -1: tallyd's default (a plain integer: GCC 12 misreads an optional here).
  long long max_outbound = own && own->max_outbound ? static_cast<long long>(*own->max_outbound) : -1;
  // The same wiring as make_nodes() in devnet.cpp, by name instead of by loopback port.
  if (up.discovery) {
    const bool is_seed = node < up.seed_nodes;
    for (std::size_t s = 0; s < up.seed_nodes; ++s)
      if (s != node) lines.push_back((is_seed ? "addnode=" : "seed=") + peer(s));
  } else {
    const auto edges = make_edges(up.nodes, up.topology, up.seed);
    const auto targets = dial_targets(node, edges);
    for (std::size_t t : targets) lines.push_back("connect=" + peer(t));
    // A node that dials nobody would otherwise discover (and dial) peers outside the topology.
    if (targets.empty() && max_outbound < 0) max_outbound = 0;
  }
  const auto miners = effective_miners(up);
  if (std::binary_search(miners.begin(), miners.end(), node)) {
    const auto key = devnet_key(node % kDevnetKeyCount);
    lines.push_back("mine=1");
    lines.push_back("minethreads=" + std::to_string(own && own->threads ? *own->threads : up.threads_per_miner));
    lines.push_back("mineraddress=" + crypto::encode_address(crypto::address_of(key.public_key()), address_prefix));
  }
  // tallyd shapes its own outgoing traffic, so node-wide shaping works in a pod as anywhere.
  const std::string& latency = own && own->latency ? *own->latency : up.latency;
  const std::string& jitter = own && own->jitter ? *own->jitter : up.jitter;
  const std::string& rate = own && own->rate ? *own->rate : up.rate;
  if (!latency.empty()) lines.push_back("latency=" + latency);
  if (!jitter.empty()) lines.push_back("jitter=" + jitter);
  if (!rate.empty()) lines.push_back("rate=" + rate);
  if (own && own->max_inbound) lines.push_back("maxinbound=" + std::to_string(*own->max_inbound));
  if (max_outbound >= 0) lines.push_back("maxoutbound=" + std::to_string(max_outbound));
  for (const auto* args : {&up.tallyd_args, own ? &own->tallyd_args : nullptr}) {
    if (args == nullptr) continue;
    auto extra = conf_lines(*args);
    if (!extra) return Error(extra.error());
    lines.insert(lines.end(), extra->begin(), extra->end());
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::expected<json::array, std::string> make_manifests(const UpOptions& up, const K8sSettings& k8s,
                                                       const RpcSecret& secret_values) {
  auto chain = k8s_chain_text(up);
  if (!chain) return Error(chain.error());
  auto spec = ledger::parse_chain_spec(*chain);
  if (!spec) return Error("chain spec: " + spec.error());
  std::vector<std::string> confs;
  for (std::size_t i = 0; i < up.nodes; ++i) {
    auto conf = node_conf(up, k8s, spec->address_prefix, i);
    if (!conf) return Error(conf.error());
    confs.push_back(std::move(*conf));
  }
  return json::array{config_map(k8s, *chain, confs), secret(k8s, secret_values), service(k8s),
                     stateful_set(up, k8s), load_job(up, k8s)};
}

std::string to_yaml(const json::array& documents) { return yaml_documents(documents); }

json::object as_list(const json::array& documents) {
  return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", documents}};
}

json::object study_record(const UpOptions& up, const K8sSettings& k8s) {
  json::array nodes;
  for (std::size_t i = 0; i < up.nodes; ++i)
    nodes.push_back({{"index", i}, {"name", k8s.name + "-" + std::to_string(i)},
                     {"events", "node" + std::to_string(i) + "/events.jsonl"}});
  json::array edges;
  if (!up.discovery)
    for (const auto& [a, b] : make_edges(up.nodes, up.topology, up.seed)) edges.push_back(json::array{a, b});
  json::object options{{"nodes", up.nodes}, {"topology", up.discovery ? "discovery" : to_string(up.topology)},
                       {"seed", up.seed}};
  if (up.block_time_s) options["block_time_s"] = *up.block_time_s;
  return {{"kind", "k8s"},  // not a process devnet: `tally-devnet report` reads it, status and down do not
          {"name", k8s.name},
          {"namespace", k8s.ns},
          {"nodes", nodes},
          {"edges", edges},
          {"options", options}};
}

std::expected<std::filesystem::path, std::string> write_manifests(const json::array& documents, const UpOptions& up,
                                                                  const K8sSettings& k8s,
                                                                  const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error("cannot make " + dir.string() + ": " + ec.message());
  const std::filesystem::path record = dir / kLayoutFileName;
  if (auto previous = base::read_file(record)) {
    boost::system::error_code pec;
    const json::value v = json::parse(*previous, pec);
    const json::value* kind = !pec && v.is_object() ? v.get_object().if_contains("kind") : nullptr;
    if (kind == nullptr || *kind != "k8s")
      return Error(record.string() + " belongs to a process devnet: choose another --out");
  }
  const bool as_json = k8s.format == "json";
  const std::filesystem::path file = dir / (as_json ? kK8sManifestJsonFile : kK8sManifestFile);
  const std::string text = as_json ? pretty_json(as_list(documents)) : to_yaml(documents);
  if (auto w = base::write_file_atomic(file, text); !w) return Error(w.error());
  // The file holds the Secret's password.
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  if (auto w = base::write_file_atomic(record, pretty_json(study_record(up, k8s))); !w) return Error(w.error());
  return file;
}

}  // namespace tally::devnet
