#include "bench/macro/harness.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "support/ports.h"

namespace tally::macro {

namespace json = boost::json;

namespace {

Options g_options;

volatile sig_atomic_t g_signals = 0;
// Children alive, for the second signal's SIGKILL (async-signal-safe: plain atomics).
constexpr std::size_t kMaxChildren = 256;
std::array<std::atomic<pid_t>, kMaxChildren> g_children{};
std::atomic<std::int64_t> g_deadline_ns{0};  // steady_clock; 0 = none

void register_child(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t expected = 0;
    if (slot.compare_exchange_strong(expected, pid)) return;
  }
}
void unregister_child(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

extern "C" void on_signal(int) {
  g_signals = g_signals + 1;
  if (g_signals >= 2) {
    for (auto& slot : g_children) {
      const pid_t p = slot.load();
      if (p > 0) ::kill(p, SIGKILL);
    }
    ::_exit(130);
  }
}

}  // namespace

const Options& options() { return g_options; }
void set_options(Options o) { g_options = std::move(o); }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

void set_bench_deadline(Clock::time_point deadline) {
  g_deadline_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
}

void check_interrupt() {
  if (g_signals > 0) throw BenchError("interrupted");
  const std::int64_t d = g_deadline_ns.load();
  if (d != 0 && Clock::now().time_since_epoch() > std::chrono::nanoseconds(d))
    throw BenchError("the benchmark ran past its overall time limit");
}

void sleep_for(std::chrono::milliseconds d) {
  const auto end = Clock::now() + d;
  for (;;) {
    check_interrupt();
    const auto now = Clock::now();
    if (now >= end) return;
    std::this_thread::sleep_for(std::min<Clock::duration>(end - now, 50ms));
  }
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    check_interrupt();
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// ---- files --------------------------------------------------------------------------------

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw BenchError("cannot write " + path.string());
}

support::TempDir temp_dir(const std::string& prefix) {
  auto dir = support::TempDir::create(prefix);
  if (!dir) throw BenchError(dir.error());
  if (options().keep_tmp) {
    dir->keep();
    std::cerr << "keeping " << dir->path() << "\n";
  }
  return std::move(*dir);
}

std::uint16_t free_port() {
  auto ports = support::pick_free_ports(1);
  return ports ? ports->front() : 0;
}

// ---- processes ----------------------------------------------------------------------------

support::Child spawn(const std::vector<std::string>& argv, const fs::path& log_path) {
  support::SpawnOptions o;
  o.argv = argv;
  o.out = log_path.empty() ? support::Redirect::null() : support::Redirect::to_file(log_path);
  o.err = support::Redirect::to_stdout();
  o.parent_death_signal = SIGKILL;
  o.stop_grace = 20s;
  auto child = support::Child::spawn(o);
  if (!child) throw BenchError(child.error());
  register_child(child->pid());
  return std::move(*child);
}

void forget_child(pid_t pid) { unregister_child(pid); }

// ---- tallyd -------------------------------------------------------------------------------

TallydOptions node_options(std::string name, fs::path chain) {
  TallydOptions o;
  o.name = std::move(name);
  o.chain = std::move(chain);
  return o;
}

Tallyd::Tallyd(fs::path dir, TallydOptions o) : dir_(std::move(dir)), opts_(std::move(o)) {
  datadir_ = dir_ / opts_.name;
}

Tallyd::~Tallyd() { stop(); }

fs::path Tallyd::log_path() const { return dir_ / (opts_.name + ".log"); }

std::string Tallyd::log_tail(std::size_t bytes) const {
  const std::string all = read_text(log_path());
  return all.size() <= bytes ? all : all.substr(all.size() - bytes);
}

void Tallyd::spawn() {
  std::error_code ec;
  fs::create_directories(datadir_, ec);
  if (ec) throw BenchError("cannot create " + datadir_.string() + ": " + ec.message());
  std::vector<std::string> argv = {options().tallyd.string(), "--datadir", datadir_.string(), "--name", opts_.name,
                                   "--port", "0", "--rpcport", std::to_string(opts_.rpc_port.value_or(0)),
                                   "--printtoconsole", "0"};
  if (!opts_.chain.empty()) argv.insert(argv.end(), {"--chain", opts_.chain.string()});
  for (const auto& c : opts_.connect) argv.insert(argv.end(), {"--connect", c});
  if (opts_.eventlog) argv.insert(argv.end(), {"--eventlog", "1"});
  if (opts_.mine) argv.insert(argv.end(), {"--mine", "1", "--minethreads", "1"});
  if (!opts_.mineraddress.empty()) argv.insert(argv.end(), {"--mineraddress", opts_.mineraddress});
  argv.insert(argv.end(), opts_.extra.begin(), opts_.extra.end());
  spawned_at_ = Clock::now();
  process_ = macro::spawn(argv, log_path());
}

void Tallyd::wait_ready(std::chrono::milliseconds timeout) {
  const fs::path info = datadir_ / "node.json";
  json::object node;
  const bool ok = wait_until(
      [&] {
        if (!process_.running()) return true;
        boost::system::error_code ec;
        auto v = json::parse(read_text(info), ec);
        if (ec || !v.is_object()) return false;
        const auto* pid = v.as_object().if_contains("pid");
        if (pid == nullptr || !pid->is_int64() || pid->as_int64() != process_.pid()) return false;
        node = v.as_object();
        return true;
      },
      timeout, 2ms);
  if (!process_.running())
    throw BenchError(opts_.name + ": tallyd exited with code " + std::to_string(process_.wait(0ms).value_or(-1)) +
                     "; log:\n" + log_tail());
  if (!ok) throw BenchError(opts_.name + ": tallyd did not write node.json in time; log:\n" + log_tail());
  try {
    rpc_port_ = node.at("rpc_port").to_number<std::uint16_t>();
    p2p_port_ = node.at("p2p_port").to_number<std::uint16_t>();
  } catch (const std::exception&) {
    throw BenchError(opts_.name + ": bad node.json: " + json::serialize(node));
  }
  auto cookie = rpc::read_cookie(datadir_ / ".cookie");
  if (!cookie) throw BenchError(opts_.name + ": cannot read the cookie: " + cookie.error());
  credentials_ = *cookie;
  rpc_ = std::make_unique<rpc::RpcClient>("127.0.0.1", rpc_port_, credentials_, 60s);
}

void Tallyd::stop() {
  rpc_.reset();
  const pid_t pid = process_.pid();
  if (pid <= 0) return;
  const bool was_running = process_.running();
  const auto code = process_.stop(20s);
  forget_child(pid);
  if (was_running && options().verbose) std::cerr << "  stopped " << opts_.name << " (pid " << pid << "): " << code.value_or(-1) << "\n";
}

rpc::RpcClient Tallyd::client(std::chrono::milliseconds timeout) const {
  return rpc::RpcClient("127.0.0.1", rpc_port_, credentials_, timeout);
}

json::value Tallyd::call(const std::string& method, const json::value& params) {
  check_interrupt();
  if (!rpc_) throw BenchError(opts_.name + ": " + method + ": the node is not started");
  auto r = rpc_->call(method, params);
  if (!r) {
    const auto& e = r.error();
    const char* kind = e.kind == rpc::RpcCallError::Kind::kTransport ? "transport error"
                       : e.kind == rpc::RpcCallError::Kind::kHttp    ? "HTTP error"
                                                                     : "RPC error";
    std::string msg = opts_.name + ": " + method + ": " + kind + " " + std::to_string(e.code) + ": " + e.message;
    if (!process_.running())
      msg += " (tallyd is not running: exit code " + std::to_string(process_.wait(0ms).value_or(-1)) +
             "; log:\n" + log_tail() + ")";
    throw BenchError(msg);
  }
  return std::move(*r);
}

std::int64_t Tallyd::block_count() {
  const auto v = call("getblockcount");
  if (!v.is_int64()) throw BenchError(opts_.name + ": getblockcount: not an integer: " + json::serialize(v));
  return v.as_int64();
}

std::size_t Tallyd::established_peers() {
  const auto v = call("getpeerinfo");
  if (!v.is_array()) throw BenchError(opts_.name + ": getpeerinfo: not an array");
  std::size_t n = 0;
  for (const auto& p : v.as_array()) {
    const auto* e = p.is_object() ? p.as_object().if_contains("established") : nullptr;
    if (e != nullptr && e->is_bool() && e->as_bool()) ++n;
  }
  return n;
}

std::int64_t Tallyd::mempool_size() {
  const auto v = call("getmempoolinfo");
  const auto* s = v.is_object() ? v.as_object().if_contains("size") : nullptr;
  if (s == nullptr || !s->is_int64()) throw BenchError(opts_.name + ": getmempoolinfo: no size");
  return s->as_int64();
}

fs::path write_bench_chain_spec(const fs::path& path) {
  const fs::path src = options().source_dir / "genesis" / "devnet.json";
  boost::system::error_code ec;
  auto v = json::parse(read_text(src), ec);
  if (ec || !v.is_object()) throw BenchError("cannot read the chain spec " + src.string());
  auto& spec = v.as_object();
  const auto* id = spec.if_contains("chain_id");
  if (id == nullptr || !id->is_int64() || id->as_int64() != 7077)
    throw BenchError(src.string() + ": chain_id is not 7077, the id the benchmark transactions are signed for");
  spec["name"] = "tally-macro";
  spec["genesis_bits"] = "0x207fffff";
  spec["pow_limit_bits"] = "0x207fffff";
  spec["block_interval_s"] = 1;
  spec["asert_half_life_s"] = 365 * 86400;
  spec["max_future_drift_s"] = 86400;
  write_text(path, json::serialize(spec));
  return path;
}

// ---- /proc --------------------------------------------------------------------------------

double kib_to_mib(std::uint64_t kib) { return static_cast<double>(kib) / 1024.0; }

// ---- statistics and output ----------------------------------------------------------------

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}
double min_of(const std::vector<double>& v) { return v.empty() ? 0 : *std::min_element(v.begin(), v.end()); }
double max_of(const std::vector<double>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

std::string fmt(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void print_table(const std::string& title, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size(), 0);
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s = "  ";
    for (std::size_t i = 0; i < width.size(); ++i) {
      const std::string c = i < cells.size() ? cells[i] : "";
      // First column left-aligned, numbers right-aligned.
      if (i == 0) s += c + std::string(width[i] - c.size(), ' ');
      else s += std::string(width[i] - c.size(), ' ') + c;
      if (i + 1 < width.size()) s += "  ";
    }
    std::cout << s << "\n";
  };
  std::cout << "\n== " << title << "\n";
  line(header);
  std::size_t total = 0;
  for (auto w : width) total += w + 2;
  std::cout << "  " << std::string(total > 2 ? total - 2 : 0, '-') << "\n";
  for (const auto& r : rows) line(r);
  std::cout.flush();
}

namespace {

// Like json::serialize, but doubles in plain notation with up to 4 decimals (Boost.JSON
// writes 2.1051E2), so the lines are easy to read as well as to parse.
void write_json(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
        break;
      }
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.4f", d);
      std::string s = buf;
      while (!s.empty() && s.back() == '0') s.pop_back();
      if (!s.empty() && s.back() == '.') s.pop_back();
      out += s == "-0" ? "0" : s;
      break;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_json(out, e);
      }
      out += ']';
      break;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string(kv.key()));
        out += ':';
        write_json(out, kv.value());
      }
      out += '}';
      break;
    }
    default:
      out += json::serialize(v);
  }
}

}  // namespace

void print_json_line(const std::string& bench, json::object results) {
  json::object o;
  o["bench"] = bench;
  for (auto& kv : results) o[kv.key()] = std::move(kv.value());
  o["loadavg"] = load_average();
  std::string line;
  write_json(line, o);
  std::cout << line << std::endl;
}

std::string load_average() {
  std::string s = read_text("/proc/loadavg");
  std::istringstream ss(s);
  std::string a, b, c;
  ss >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace tally::macro
