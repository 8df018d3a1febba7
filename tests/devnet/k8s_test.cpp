// `tally-devnet k8s`: the manifests' structure on the JSON model (pods wired by names that
// exist, resources on every container, the Secret only referenced, the rpcauth line that
// authenticates the password, the chain spec, the scenario's personas), the YAML read back by
// python3's yaml module, kubectl's client-side dry run where it can work, bad inputs, and the
// binary writing devnet.json that the study reads.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <set>
#include <sstream>

#include "base/files.h"
#include "crypto/base64.h"
#include "devnet/k8s.h"
#include "devnet/yaml.h"
#include "ledger/chain_spec.h"
#include "rpc/auth.h"
#include "study/run_log.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace tally::devnet {
namespace {

namespace json = boost::json;

struct Model {
  UpOptions up;
  K8sSettings k8s;
  RpcSecret secret = make_rpc_secret();
  json::array docs;
};

Model make_model(UpOptions up, K8sSettings k8s = {}) {
  Model m;
  m.up = std::move(up);
  m.k8s = std::move(k8s);
  m.up.dir = "-";
  auto ok = validate(m.up, m.k8s);
  EXPECT_TRUE(ok) << (ok ? "" : ok.error());
  auto docs = make_manifests(m.up, m.k8s, m.secret);
  EXPECT_TRUE(docs) << (docs ? "" : docs.error());
  if (docs) m.docs = std::move(*docs);
  return m;
}

const json::object& doc(const Model& m, std::string_view kind) {
  for (const auto& d : m.docs)
    if (d.at("kind").as_string() == kind) return d.get_object();
  ADD_FAILURE() << "no " << kind;
  static const json::object kEmpty;
  return kEmpty;
}

std::vector<std::pair<std::string, std::string>> conf_entries(const std::string& conf) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(conf);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    out.emplace_back(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

std::vector<const json::object*> containers(const Model& m) {
  std::vector<const json::object*> out;
  for (const char* kind : {"StatefulSet", "Job"})
    for (const auto& c : doc(m, kind).at("spec").at("template").at("spec").at("containers").as_array())
      out.push_back(&c.get_object());
  return out;
}

// Every string in a value, recursively.
void strings_of(const json::value& v, std::vector<std::string>& out) {
  if (v.is_string()) out.emplace_back(v.get_string());
  if (v.is_array())
    for (const auto& e : v.get_array()) strings_of(e, out);
  if (v.is_object())
    for (const auto& [k, e] : v.get_object()) strings_of(e, out);
}

// The invariants every model must keep, whatever the network.
void check_common(const Model& m) {
  const std::string& name = m.k8s.name;
  const std::string domain = "." + name + "." + m.k8s.ns + ".svc.cluster.local:17077";
  const auto& service = doc(m, "Service");
  const auto& sts = doc(m, "StatefulSet");
  EXPECT_EQ(sts.at("spec").at("serviceName"), service.at("metadata").at("name"));
  EXPECT_EQ(service.at("spec").at("clusterIP"), "None");
  EXPECT_EQ(service.at("spec").at("publishNotReadyAddresses"), true);
  EXPECT_EQ(sts.at("spec").at("replicas").to_number<std::size_t>(), m.up.nodes);

  // Every peer named in a config file is a pod of the StatefulSet, in the Service's domain.
  const auto& data = doc(m, "ConfigMap").at("data").as_object();
  std::size_t miners = 0;
  for (std::size_t i = 0; i < m.up.nodes; ++i) {
    const std::string key = name + "-" + std::to_string(i) + ".conf";
    ASSERT_TRUE(data.contains(key)) << key;
    for (const auto& [k, v] : conf_entries(std::string(data.at(key).as_string()))) {
      if (k == "mine" && v == "1") ++miners;
      if (k != "connect" && k != "addnode" && k != "seed") continue;
      ASSERT_TRUE(v.starts_with(name + "-") && v.ends_with(domain)) << key << ": " << v;
      const std::string index = v.substr(name.size() + 1, v.size() - domain.size() - name.size() - 1);
      EXPECT_LT(std::stoul(index), m.up.nodes) << key << ": " << v;
      EXPECT_NE(std::stoul(index), i) << key << " dials itself";
    }
  }
  EXPECT_EQ(miners, effective_miners(m.up).size());
  auto spec = ledger::parse_chain_spec(std::string(data.at("chain.json").as_string()));
  EXPECT_TRUE(spec) << (spec ? "" : spec.error());
  if (spec && m.up.block_time_s) {
    EXPECT_EQ(spec->block_interval_s, *m.up.block_time_s);
  }

  // Requests and limits everywhere; the Secret only by reference.
  const auto& secret = doc(m, "Secret");
  const std::string secret_name(secret.at("metadata").at("name").as_string());
  const std::string password(secret.at("stringData").at("password").as_string());
  const std::string rpcauth(secret.at("stringData").at("rpcauth").as_string());
  EXPECT_EQ(password.size(), 32u);
  std::size_t refs = 0;
  for (const json::object* c : containers(m)) {
    for (const char* part : {"requests", "limits"})
      for (const char* what : {"cpu", "memory"}) EXPECT_TRUE(c->at("resources").at(part).as_object().contains(what));
    std::vector<std::string> texts;
    for (const char* field : {"command", "args"})
      if (c->contains(field)) strings_of(c->at(field), texts);
    for (const auto& e : c->at("env").as_array()) {
      if (e.as_object().contains("value")) strings_of(e.at("value"), texts);
      if (const auto* from = e.as_object().if_contains("valueFrom"); from && from->as_object().contains("secretKeyRef")) {
        EXPECT_EQ(from->at("secretKeyRef").at("name").as_string(), secret_name);
        ++refs;
      }
    }
    for (const auto& t : texts) {
      EXPECT_EQ(t.find(password), std::string::npos) << t;
      EXPECT_EQ(t.find(rpcauth), std::string::npos) << t;
    }
  }
  EXPECT_EQ(refs, 3u);  // the node's TALLY_RPCAUTH, the load's user and password
  for (const auto& d : m.docs) {
    if (d.at("kind") == "Secret") continue;
    std::vector<std::string> texts;
    strings_of(d, texts);
    for (const auto& t : texts) EXPECT_EQ(t.find(password), std::string::npos) << d.at("kind") << ": " << t;
  }

  // The rpcauth line lets the password in, and only it.
  auto hashed = rpc::parse_rpcauth(rpcauth);
  ASSERT_TRUE(hashed) << hashed.error();
  rpc::Authenticator auth;
  auth.allow_hashed(*hashed);
  EXPECT_EQ(auth.check("Basic " + crypto::base64_encode("tally:" + password)), std::optional<std::string>("tally"));
  EXPECT_FALSE(auth.check("Basic " + crypto::base64_encode("tally:" + password + "x")));

  const auto& annotations = sts.at("spec").at("template").at("metadata").at("annotations");
  EXPECT_EQ(annotations.at("prometheus.io/scrape"), "true");
  EXPECT_EQ(annotations.at("prometheus.io/port"), "17078");
  EXPECT_EQ(annotations.at("prometheus.io/path"), "/metrics");
}

std::string conf_of(const Model& m, std::size_t i) {
  return std::string(doc(m, "ConfigMap").at("data").at(m.k8s.name + "-" + std::to_string(i) + ".conf").as_string());
}

std::size_t count_key(const std::string& conf, const std::string& key) {
  std::size_t n = 0;
  for (const auto& [k, v] : conf_entries(conf)) n += k == key;
  return n;
}

UpOptions ring(std::size_t nodes, std::size_t miners) {
  UpOptions up;
  up.nodes = nodes;
  up.miners = miners;
  up.calibrate = false;
  return up;
}

TEST(K8sManifests, RingOfSixWiredByPodNames) {
  UpOptions up = ring(6, 2);
  up.block_time_s = 3;
  Model m = make_model(up);
  check_common(m);
  // The same wiring as the process devnet: one connect per edge, from the dialing side.
  const auto edges = make_edges(6, up.topology, up.seed);
  std::size_t connects = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    const std::string conf = conf_of(m, i);
    connects += count_key(conf, "connect");
    EXPECT_EQ(count_key(conf, "maxoutbound"), dial_targets(i, edges).empty() ? 1u : 0u) << conf;
    EXPECT_NE(conf.find("datadir=/data\n"), std::string::npos);
    EXPECT_NE(conf.find("chain=/etc/tally/chain.json\n"), std::string::npos);
  }
  EXPECT_EQ(connects, edges.size());
  const auto& sts = doc(m, "StatefulSet");
  EXPECT_EQ(sts.at("spec").at("podManagementPolicy"), "Parallel");
  const auto& node = sts.at("spec").at("template").at("spec").at("containers").at(0);
  EXPECT_EQ(node.at("args").at(0), "--conf=/etc/tally/$(POD_NAME).conf");
  EXPECT_EQ(doc(m, "Job").at("spec").at("suspend"), true);  // no --load-tps
}

TEST(K8sManifests, DiscoverySeedsAndCustomNames) {
  UpOptions up = ring(8, 3);
  up.discovery = true;
  up.seed_nodes = 3;
  K8sSettings k8s;
  k8s.name = "ledger";
  k8s.ns = "lab";
  k8s.load_tps = 5;
  Model m = make_model(up, k8s);
  check_common(m);
  for (std::size_t i = 0; i < 8; ++i) {
    const std::string conf = conf_of(m, i);
    EXPECT_EQ(count_key(conf, "addnode"), i < 3 ? 2u : 0u) << conf;
    EXPECT_EQ(count_key(conf, "seed"), i < 3 ? 0u : 3u) << conf;
    EXPECT_EQ(count_key(conf, "connect"), 0u);
  }
  EXPECT_NE(conf_of(m, 5).find("seed=ledger-0.ledger.lab.svc.cluster.local:17077\n"), std::string::npos);
  EXPECT_EQ(doc(m, "Job").at("spec").at("suspend"), false);
}

TEST(K8sManifests, ScenarioPersonasAndWhatIsLeftOut) {
  const char* source_dir = std::getenv("TALLY_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr) << "run under ctest, or set TALLY_SOURCE_DIR to the source tree";
  UpOptions up = ring(4, 1);
  K8sSettings k8s;
  auto ignored = apply_scenario_file(std::filesystem::path(source_dir) / "scenarios" / "churn.json", up, k8s);
  ASSERT_TRUE(ignored) << ignored.error();
  // Two stop/start events and three offline windows (start at to_s each) are not manifests.
  EXPECT_EQ(ignored->size(), 2u + 6u);
  EXPECT_EQ(k8s.load_tps, std::optional<double>(3));
  EXPECT_EQ(k8s.load_duration_s, 90);
  Model m = make_model(up, k8s);
  check_common(m);
  EXPECT_EQ(m.up.nodes, 6u);
  EXPECT_NE(conf_of(m, 0).find("minethreads=2\n"), std::string::npos);
  EXPECT_NE(conf_of(m, 2).find("latency=300ms\n"), std::string::npos);
  EXPECT_NE(conf_of(m, 2).find("rate=1mbit\n"), std::string::npos);
  EXPECT_NE(conf_of(m, 3).find("latency=30ms\n"), std::string::npos);
  EXPECT_EQ(count_key(conf_of(m, 1), "mine"), 0u);
}

TEST(K8sManifests, BadInputs) {
  auto parse = [](std::vector<const char*> args) {
    args.insert(args.begin(), {"tally-devnet", "k8s"});
    return parse_command_line(static_cast<int>(args.size()), args.data());
  };
  EXPECT_FALSE(parse({"--nodes", "0"}));
  auto too_many = parse({"--nodes", "3", "--miners", "4"});
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().find("--miners"), std::string::npos) << too_many.error();
  auto topology = parse({"--topology", "blob"});
  ASSERT_FALSE(topology);
  EXPECT_NE(topology.error().find("blob"), std::string::npos) << topology.error();
  EXPECT_FALSE(parse({"--scenario", "x.json", "--nodes", "3"}));  // the scenario sets the network
  auto ok = parse({"--nodes", "5", "--out", "-", "--load-tps", "2", "--load-duration", "2m", "--name", "t"});
  ASSERT_TRUE(ok) << ok.error();
  const auto& c = std::get<K8sCommand>(*ok->command);
  EXPECT_EQ(c.up.nodes, 5u);
  EXPECT_EQ(c.k8s.load_duration_s, 120);
  EXPECT_EQ(c.out, "-");

  UpOptions up = ring(4, 1);
  K8sSettings k8s;
  auto missing = apply_scenario_file("/nonexistent/scenario.json", up, k8s);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("/nonexistent/scenario.json"), std::string::npos);
  up.dir = "-";
  k8s.name = "Tally_1";
  EXPECT_FALSE(validate(up, k8s));
  k8s.name = "tally";
  k8s.storage = "lots";
  EXPECT_FALSE(validate(up, k8s));
  k8s.storage = "1Gi";
  up.tallyd_args = {"loglevel=debug"};
  EXPECT_FALSE(validate(up, k8s));
  up.tallyd_args = {"--loglevel=debug"};
  EXPECT_TRUE(validate(up, k8s));
}

// Runs python3 on `file` with a script; nullopt (and the reason) when python3 or yaml is missing.
std::expected<std::string, std::string> python_yaml_json(const std::filesystem::path& file) {
  support::SpawnOptions o;
  o.argv = {"python3", "-c", "import yaml, json, sys; print(json.dumps(list(yaml.safe_load_all(sys.stdin))))"};
  o.stdin_from = file;
  o.out = support::Redirect::capture();
  o.err = support::Redirect::capture();
  auto r = support::run(o, std::chrono::seconds(60));
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) return std::unexpected("python3: " + r->err);
  return r->out;
}

TEST(K8sYaml, ReadsBackAsTheModel) {
  support::TempDir dir("tally-k8s-yaml");
  UpOptions up = ring(6, 2);
  up.tallyd_args = {"--loglevel=debug"};
  Model m = make_model(up);
  // Plus the awkward scalars: YAML 1.1 words, numbers as text, quotes, breaks, unicode.
  json::object odd{{"words", json::array{"yes", "No", "on", "off", "y", "null", "~", "true", ""}},
                   {"numbers", json::array{"17078", "1e3", "0x10", "1_000", "1:20", ".5", "2001-12-14", 0.25, -3, 1e20}},
                   {"text", json::array{"a: b", "- x", "#c", "q\"uote\\", " lead", "trail ", "tab\there", "\x7f",
                                        "line\nbreak", "two\nlines\n", "ends\n\n", "\n", "caf\xc3\xa9 \xe2\x80\xa8"}},
                   {"empty", json::object{}},
                   {"none", json::array{}},
                   {"nested", json::array{json::array{1, 2}, json::object{{"k", json::array{json::object{{"a", 1}}}}}}},
                   {"null", nullptr}};
  json::array docs = m.docs;
  docs.push_back(odd);
  const std::filesystem::path file = dir / "m.yaml";
  ASSERT_TRUE(base::write_file_atomic(file, yaml_documents(docs)));
  auto out = python_yaml_json(file);
  if (!out && out.error().find("No module named 'yaml'") != std::string::npos)
    GTEST_SKIP() << "python3's yaml module is missing (apt-get install python3-yaml)";
  if (!out && out.error().find("cannot run") != std::string::npos) GTEST_SKIP() << "no python3: " << out.error();
  ASSERT_TRUE(out) << out.error();
  EXPECT_EQ(json::parse(*out), json::value(docs)) << yaml_documents(json::array{odd});
  // Block scalars for the config files and the chain spec.
  EXPECT_NE(to_yaml(m.docs).find("  tally-0.conf: |\n    # tallyd configuration"), std::string::npos);
}

// kubectl reads every document of the file as the objects it names. `label --local` decodes
// and prints them without an API server (`apply --dry-run=client` still asks a cluster for its
// API groups), so this runs anywhere kubectl is installed (scripts/install-deps.sh installs it).
TEST(K8sYaml, KubectlReadsEveryDocument) {
  if (support::find_program("kubectl").empty()) GTEST_SKIP() << "no kubectl (scripts/install-deps.sh installs it)";
  support::TempDir dir("tally-k8s-kubectl");
  Model m = make_model(ring(6, 2));
  const std::filesystem::path file = dir / "m.yaml";
  ASSERT_TRUE(base::write_file_atomic(file, to_yaml(m.docs)));
  support::SpawnOptions o;
  o.argv = {"kubectl", "label", "--local", "-f", file.string(), "-o", "name", "tally.test/read=yes"};
  o.out = support::Redirect::capture();
  o.err = support::Redirect::to_stdout();
  auto r = support::run(o, std::chrono::seconds(90));
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->exit_code, 0) << r->out;
  for (const char* name : {"configmap/tally-config", "secret/tally-rpc", "service/tally", "statefulset.apps/tally",
                           "job.batch/tally-load"})
    EXPECT_NE(r->out.find(name), std::string::npos) << r->out;
}

TEST(K8sBinary, WritesManifestsAndTheStudyRecord) {
  support::TempDir dir("tally-k8s-bin");
  support::SpawnOptions o;
  o.argv = {TALLY_DEVNET_PATH, "k8s", "--nodes", "4", "--topology", "line", "--miners", "2", "--out",
            (dir / "out").string(), "--block-time", "7"};
  o.out = support::Redirect::capture();
  o.err = support::Redirect::capture();
  auto r = support::run(o, std::chrono::seconds(60));
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->exit_code, 0) << r->err;
  const std::filesystem::path yaml = dir / "out" / kK8sManifestFile;
  ASSERT_TRUE(std::filesystem::exists(yaml)) << r->out;
  EXPECT_EQ(std::filesystem::status(yaml).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);

  // The pods' event logs copied back as docs/DEVNET.md says: the study reads them.
  for (int i = 0; i < 4; ++i) {
    std::filesystem::create_directories(dir / "out" / ("node" + std::to_string(i)));
    ASSERT_TRUE(base::write_file_atomic(dir / "out" / ("node" + std::to_string(i)) / "events.jsonl",
                                        "{\"ts_us\":1,\"node\":\"tally-" + std::to_string(i) +
                                            "\",\"event\":\"node_started\",\"height\":0}\n"));
  }
  auto run = study::load_run(dir / "out");
  ASSERT_TRUE(run) << run.error();
  EXPECT_TRUE(run->has_layout);
  ASSERT_EQ(run->nodes.size(), 4u);
  EXPECT_EQ(run->nodes[3].name, "tally-3");
  EXPECT_TRUE(run->nodes[3].log_found);
  EXPECT_EQ(run->edges.size(), 3u);
  EXPECT_EQ(run->requested_interval_s, std::optional<double>(7));

  // --out - prints the same kind of file; --format json a List.
  o.argv = {TALLY_DEVNET_PATH, "k8s", "--nodes", "2", "--out", "-", "--format", "json"};
  r = support::run(o, std::chrono::seconds(60));
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->exit_code, 0) << r->err;
  const json::value list = json::parse(r->out);
  EXPECT_EQ(list.at("kind"), "List");
  EXPECT_EQ(list.at("items").as_array().size(), 5u);

  // A process devnet's devnet.json is never replaced.
  std::filesystem::create_directories(dir / "live");
  ASSERT_TRUE(base::write_file_atomic(dir / "live" / "devnet.json", "{\"version\": 1, \"nodes\": []}"));
  o.argv = {TALLY_DEVNET_PATH, "k8s", "--out", (dir / "live").string()};
  r = support::run(o, std::chrono::seconds(60));
  ASSERT_TRUE(r) << r.error();
  EXPECT_NE(r->exit_code, 0);
  EXPECT_NE(r->err.find("process devnet"), std::string::npos) << r->err;
}

}  // namespace
}  // namespace tally::devnet
