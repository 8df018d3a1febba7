// tally-devnet: start, watch, load, partition and stop a devnet of tallyd nodes on this
// machine. See `tally-devnet --help` and `tally-devnet <subcommand> --help`.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "devnet/dashboard.h"
#include "devnet/devnet.h"
#include "study/report.h"
#include "devnet/options.h"
#include "devnet/scenario.h"
#include "devnet/k8s.h"
#include "base/cli_json.h"
#include "base/files.h"
#include "base/json_pretty.h"
#include "crypto/random.h"
#include "ledger/chain_spec.h"
#include "ledger/embedded_spec.h"

namespace {

using namespace tally::devnet;

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) { g_stop.store(true); }

// SIGINT/SIGTERM only set a flag: every loop below checks it, so the devnet is always shut
// down (or left running, for `up`) deliberately. The nodes run in their own sessions and
// do not receive the terminal's Ctrl-C.
void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

void sleep_unless_stopped(double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!g_stop.load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

void log_line(const std::string& message) { std::cerr << "tally-devnet: " << message << "\n"; }

int fail(const std::string& message) {
  std::cerr << "tally-devnet: error: " << message << "\n";
  return 1;
}

std::string clock_text() {
  const std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&now));
  return buf;
}

// One screen of status; on a terminal it replaces the previous one.
void draw(Devnet& net, const std::string& extra) {
  const StatusReport report = net.status();
  std::string screen;
  if (::isatty(STDOUT_FILENO)) screen += "\x1b[H\x1b[2J";
  else screen += "\n";
  screen += "tally-devnet  " + net.layout().dir.string() + "  " + clock_text() + "  (Ctrl-C to stop)\n\n";
  screen += render_status(report);
  if (!extra.empty()) screen += extra + "\n";
  std::cout << screen << std::flush;
}

int cmd_dashboard(const DashboardCommand& c) {
  auto dashboard = Dashboard::start(c.dir, c.port, log_line);
  if (!dashboard) return fail(dashboard.error());
  std::cout << "dashboard of " << c.dir.string() << " on http://127.0.0.1:" << (*dashboard)->port()
            << "/  (Ctrl-C to stop)" << std::endl;
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*dashboard)->stop();
  return 0;
}

int cmd_up(const UpCommand& c) {
  auto net = Devnet::up(c.up, log_line);
  if (!net) return fail(net.error());
  std::cout << render_status(net->status());
  std::cout << "devnet.json: " << net->layout().file().string() << "\n"
            << "stop it with: tally-devnet down --dir " << net->layout().dir.string() << "\n";
  return 0;
}

int cmd_run(const UpCommand& c) {
  auto net = Devnet::up(c.up, log_line);
  if (!net) return fail(net.error());
  std::mutex load_mu;
  std::string load_text = c.load_tps ? "load: starting" : "";
  std::optional<std::thread> loader;
  if (c.load_tps) {
    loader.emplace([&] {
      auto show = [&](const LoadReport& r) {
        std::lock_guard lock(load_mu);
        char target[32];
        std::snprintf(target, sizeof target, "%g", *c.load_tps);
        load_text = std::string("load (target ") + target + " tx/s): " + to_string(r);
      };
      auto r = net->load(*c.load_tps, 0, &g_stop, c.up.seed, show);
      std::lock_guard lock(load_mu);
      load_text = r ? "load: " + to_string(*r) : "load stopped: " + r.error();
    });
  }
  while (!g_stop.load()) {
    std::string extra;
    {
      std::lock_guard lock(load_mu);
      extra = load_text;
    }
    draw(*net, extra);
    sleep_unless_stopped(c.refresh_s);
  }
  if (loader) loader->join();
  if (!load_text.empty()) std::cout << load_text << std::endl;
  log_line("stopping the devnet");
  if (auto d = net->down(false); !d) return fail(d.error());
  log_line("datadirs kept in " + net->layout().dir.string() + " (remove them with: tally-devnet down --clean --dir " +
           net->layout().dir.string() + ")");
  return 0;
}

int cmd_status(const StatusCommand& c) {
  auto net = Devnet::open(c.dir);
  if (!net) return fail(net.error());
  if (c.json) {
    std::cout << tally::base::pretty_json(status_json(net->status())) << "\n";
    return 0;
  }
  if (!c.watch_s) {
    std::cout << render_status(net->status());
    return 0;
  }
  while (!g_stop.load()) {
    draw(*net, "");
    sleep_unless_stopped(*c.watch_s);
  }
  return 0;
}

// `cli N METHOD [ARGS...]`: tally-cli's conventions (base/cli_json.h); an RPC error as
// bitcoin-cli prints it, exit 1.
int cmd_cli(const CliCommand& c) {
  auto net = Devnet::open(c.dir);
  if (!net) return fail(net.error());
  auto client = net->client(c.node, std::chrono::minutes(11));  // waitfornewblock may wait 10 minutes
  if (!client) return fail(client.error());
  boost::json::array params;
  for (const auto& a : c.args) params.emplace_back(tally::base::parse_json_arg(a));
  auto result = client->call(c.method, params);
  if (!result) {
    const auto& e = result.error();
    if (e.kind == tally::rpc::RpcCallError::Kind::kRpc) {
      std::cerr << "error code: " << e.code << "\nerror message:\n" << e.message << "\n";
      return 1;
    }
    return fail("node " + std::to_string(c.node) + ": " + e.message);
  }
  std::cout << tally::base::rpc_result_text(*result);
  return 0;
}

// `load --rpc`: nodes that are not this machine's (the Kubernetes load Job).
int cmd_remote_load(const LoadCommand& c) {
  auto layout = remote_layout(c.rpc);
  if (!layout) return fail(layout.error());
  std::string password;
  if (!c.rpcpassword_file.empty()) {
    auto text = tally::base::read_file(c.rpcpassword_file);
    if (!text) return fail(text.error());
    password = text->substr(0, text->find_first_of("\r\n"));
  } else if (const char* env = std::getenv("TALLY_RPCPASSWORD"); env != nullptr) {
    password = env;
  }
  if (password.empty()) return fail("--rpc needs a password: $TALLY_RPCPASSWORD or --rpcpassword-file");
  auto spec = c.chain.empty() ? tally::ledger::parse_chain_spec(tally::ledger::embedded_devnet_spec())
                              : tally::ledger::load_chain_spec_file(c.chain.string());
  if (!spec) return fail("chain spec: " + spec.error());
  LoadOptions o;
  o.tps = c.tps;
  o.duration_s = c.duration_s;
  o.seed = c.seed;
  o.stop = &g_stop;
  o.progress = [](const LoadReport& p) { log_line(to_string(p)); };
  o.credentials = tally::rpc::Credentials{c.rpcuser, password};
  auto r = run_load(*layout, *spec, o);
  if (!r) return fail(r.error());
  std::cout << to_string(*r) << "\n";
  return 0;
}

int cmd_load(const LoadCommand& c) {
  if (!c.rpc.empty()) return cmd_remote_load(c);
  auto net = Devnet::open(c.dir);
  if (!net) return fail(net.error());
  auto r = net->load(c.tps, c.duration_s, &g_stop, c.seed, [](const LoadReport& p) { log_line(to_string(p)); });
  if (!r) return fail(r.error());
  std::cout << to_string(*r) << "\n";
  return 0;
}

int cmd_k8s(K8sCommand c) {
  if (!c.scenario.empty()) {
    auto ignored = apply_scenario_file(c.scenario, c.up, c.k8s);
    if (!ignored) return fail(ignored.error());
    for (const auto& what : *ignored) log_line("note: not in the manifests: " + what);
  }
  if (c.up.seed == 0) c.up.seed = tally::crypto::random_u64() | 1;  // random:K's draw, recorded in devnet.json
  if (auto ok = validate(c.up, c.k8s); !ok) return fail(ok.error());
  auto manifests = make_manifests(c.up, c.k8s, make_rpc_secret());
  if (!manifests) return fail(manifests.error());
  if (c.out == "-") {
    std::cout << (c.k8s.format == "json" ? pretty_json(as_list(*manifests)) : to_yaml(*manifests)) << std::flush;
    return 0;
  }
  auto file = write_manifests(*manifests, c.up, c.k8s, c.out);
  if (!file) return fail(file.error());
  std::cout << "wrote " << file->string() << " (it holds the RPC password: keep it private) and "
            << (c.out / "devnet.json").string() << "\n"
            << "apply it with: kubectl apply -f " << file->string() << "\n";
  return 0;
}

int cmd_simple(const std::filesystem::path& dir, const std::function<std::expected<void, std::string>(Devnet&)>& op,
               const std::string& done) {
  auto net = Devnet::open(dir, log_line);
  if (!net) return fail(net.error());
  if (auto r = op(*net); !r) return fail(r.error());
  if (!done.empty()) std::cout << done << "\n";
  return 0;
}

int cmd_scenario(const ScenarioCommand& c) {
  auto scenario = load_scenario_file(c.file);
  if (!scenario) return fail(scenario.error());
  RunScenarioOptions o;
  o.dir = c.dir;
  o.tallyd = c.tallyd;
  o.stop = &g_stop;
  o.log = [](const std::string& m) { std::cout << m << std::endl; };
  auto r = run_scenario(*scenario, o);
  if (!r) return fail(r.error());
  std::cout << r->report_summary << "\n";
  for (const auto& f : r->failures) std::cout << "failed: " << f << "\n";
  std::cout << "datadirs, event logs and the report are in " << c.dir.string() << "\n";
  return r->failures.empty() && !r->report_json.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_command_line(argc, argv);
  if (!parsed) return fail(parsed.error());
  if (!parsed->command) {
    std::cout << parsed->output;
    return 0;
  }
  install_signal_handlers();
  try {
    const Command& command = *parsed->command;
    if (const auto* up = std::get_if<UpCommand>(&command)) return up->run ? cmd_run(*up) : cmd_up(*up);
    if (const auto* s = std::get_if<StatusCommand>(&command)) return cmd_status(*s);
    if (const auto* l = std::get_if<LoadCommand>(&command)) return cmd_load(*l);
    if (const auto* p = std::get_if<PartitionCommand>(&command))
      return cmd_simple(p->dir, [&](Devnet& n) { return n.partition(p->groups); }, "partitioned");
    if (const auto* h = std::get_if<HealCommand>(&command))
      return cmd_simple(h->dir, [](Devnet& n) { return n.heal(); }, "healed");
    if (const auto* s = std::get_if<StopCommand>(&command))
      return cmd_simple(s->dir, [&](Devnet& n) { return n.stop(s->node); }, "");
    if (const auto* s = std::get_if<StartCommand>(&command))
      return cmd_simple(s->dir, [&](Devnet& n) { return n.start(s->node); }, "");
    if (const auto* d = std::get_if<DownCommand>(&command))
      return cmd_simple(d->dir, [&](Devnet& n) { return n.down(d->clean); }, "");
    if (const auto* sc = std::get_if<ScenarioCommand>(&command)) return cmd_scenario(*sc);
    if (const auto* k = std::get_if<K8sCommand>(&command)) return cmd_k8s(*k);
    if (const auto* d = std::get_if<DashboardCommand>(&command)) return cmd_dashboard(*d);
    if (const auto* cl = std::get_if<CliCommand>(&command)) return cmd_cli(*cl);
    if (const auto* r = std::get_if<ReportCommand>(&command)) {
      auto report = tally::study::write_report(r->dir);
      if (!report) return fail(report.error());
      std::cout << report->summary() << "\nwrote " << (r->dir / "report.html").string() << " and "
                << (r->dir / "report.json").string() << "\n";
      return 0;
    }
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return 1;
}
