// Devnets as containers (devnet/containers.h).
#include "devnet/containers.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>

#include "base/json_read.h"
#include "devnet/netns.h"
#include "support/process.h"

namespace tally::devnet {

namespace json = boost::json;

namespace {

bool mentions_missing(const std::string& error) {
  return error.find("no such") != std::string::npos || error.find("not found") != std::string::npos ||
         error.find("does not exist") != std::string::npos;
}

// This process's own limit, capped: "nofile=S:H".
std::string ulimit_of(const char* name, int resource, rlim_t cap) {
  rlimit r{};
  if (::getrlimit(resource, &r) != 0) r.rlim_cur = r.rlim_max = cap;
  const rlim_t soft = std::min(r.rlim_cur, cap), hard = std::min(r.rlim_max, cap);
  return std::string(name) + "=" + std::to_string(soft) + ":" + std::to_string(hard);
}

// The rlimits to try, most generous first (nproc counts every thread of the image's user on
// the host: all containers of all devnets share it).
std::vector<std::vector<std::string>> ulimit_candidates() {
  std::vector<std::vector<std::string>> out;
  for (const auto& [nofile, nproc] : std::vector<std::pair<rlim_t, rlim_t>>{
           {RLIM_INFINITY - 1, RLIM_INFINITY - 1}, {65536, 32768}, {20000, 32768}, {4096, 4096}}) {
    std::vector<std::string> one = {ulimit_of("nofile", RLIMIT_NOFILE, nofile), ulimit_of("nproc", RLIMIT_NPROC, nproc)};
    if (std::find(out.begin(), out.end(), one) == out.end()) out.push_back(std::move(one));
  }
  return out;
}

std::vector<std::string> common_run_flags(const std::string& runtime, const std::vector<std::string>& ulimits) {
  std::vector<std::string> a;
  if (!runtime.empty()) a.insert(a.end(), {"--runtime", runtime});
  for (const auto& u : ulimits) a.insert(a.end(), {"--ulimit", u});
  return a;
}

}  // namespace

std::string default_image() { return "tally:0.1.0"; }

json::object to_json(const ContainerPlan& p) {
  json::array names, ulimits;
  for (std::size_t i = 0; i < p.nodes; ++i) names.emplace_back(p.container(i));
  for (const auto& u : p.ulimits) ulimits.emplace_back(u);
  return json::object{{"engine", p.engine}, {"image", p.image},     {"runtime", p.runtime}, {"ulimits", std::move(ulimits)},
                      {"prefix", p.prefix}, {"subnet", p.subnet},   {"nodes", p.nodes},
                      {"cidr", p.cidr()},   {"network", p.network()}, {"containers", std::move(names)}};
}

ContainerPlan tag_invoke(json::value_to_tag<ContainerPlan>, const json::value& v) {
  const json::object& o = base::json_object(v);
  ContainerPlan p;
  p.engine = base::json_field<std::string>(o, "engine");
  p.image = base::json_field<std::string>(o, "image");
  p.runtime = base::json_field<std::string>(o, "runtime");
  p.ulimits = base::json_field<std::vector<std::string>>(o, "ulimits");
  p.prefix = base::json_field<std::string>(o, "prefix");
  p.subnet = base::json_field<unsigned>(o, "subnet");
  p.nodes = base::json_field<std::size_t>(o, "nodes");
  if (p.engine != "podman" || !p.prefix.starts_with("tly") || p.prefix.size() != 7 || p.subnet == 0 ||
      p.subnet > 254 || p.nodes > kMaxContainerNodes)
    base::json_fail("not a plan of tally-devnet's");
  return p;
}

std::expected<ContainerPlan, std::string> container_plan_from_json(const json::value& v) {
  auto plan = base::read_json<ContainerPlan>(v);
  if (!plan) return std::unexpected("bad \"containers\" record: " + plan.error());
  return plan;
}

std::expected<ContainerSupport, std::string> check_container_support(const std::string& engine,
                                                                    const std::string& image) {
  const std::string fallback = "; or run the nodes as processes (leave out --engine)";
  if (engine != "podman")
    return std::unexpected("--engine " + engine + ": only podman is supported (docker: no engine runs on these machines to test it)");
  if (::geteuid() != 0) return std::unexpected("--engine podman needs root (rootful podman: static addresses, host PIDs)" + fallback);
  if (support::find_program("podman").empty())
    return std::unexpected("podman is not installed: run bash scripts/install-deps.sh" + fallback);
  if (auto r = run_command({"podman", "image", "exists", image}); !r)
    return std::unexpected("no image " + image + ": build it with `bash scripts/image.sh`" + fallback);
  // crun fails on hybrid cgroups; runc works. Prefer runc whenever it is installed.
  const std::string runtime = support::find_program("runc").empty() ? "" : "runc";
  std::string last_error;
  for (const auto& ulimits : ulimit_candidates()) {
    std::vector<std::string> trial = {"podman", "run", "--rm", "--network", "none"};
    const auto flags = common_run_flags(runtime, ulimits);
    trial.insert(trial.end(), flags.begin(), flags.end());
    trial.insert(trial.end(), {image, "--version"});
    auto r = run_command(trial);
    if (r && r->find("tallyd") != std::string::npos) return ContainerSupport{runtime, ulimits};
    last_error = r ? *r : r.error();
    if (last_error.find("rlimit") == std::string::npos) break;  // lower limits will not help
  }
  return std::unexpected("a trial container of " + image + " does not run here (" + last_error + ")" +
                         (runtime.empty() ? "; installing runc may help (crun fails on hybrid cgroups)" : "") + fallback);
}

std::expected<ContainerPlan, std::string> plan_containers(const std::filesystem::path& dir, std::size_t nodes,
                                                          const std::string& engine, const std::string& image,
                                                          const ContainerSupport& support) {
  if (nodes == 0 || nodes > kMaxContainerNodes)
    return std::unexpected("--engine podman supports 1 to " + std::to_string(kMaxContainerNodes) + " nodes");
  const std::uint32_t h = devnet_dir_hash(dir);
  ContainerPlan p;
  p.engine = engine;
  p.image = image;
  p.runtime = support.runtime;
  p.ulimits = support.ulimits;
  p.nodes = nodes;
  p.prefix = devnet_prefix(h);
  // Subnets in use: the host's addresses and every podman network's (a network without a
  // running container has no bridge yet).
  std::string used;
  if (auto a = run_command({"ip", "-o", "-4", "addr", "show"})) used += *a;
  if (auto ls = run_command({"podman", "network", "ls", "--format", "{{.Name}}"})) {
    std::vector<std::string> argv = {"podman", "network", "inspect"};
    std::size_t start = 0;
    for (std::size_t nl; (nl = ls->find('\n', start)) != std::string::npos; start = nl + 1)
      if (nl > start && ls->substr(start, nl - start) != p.network()) argv.push_back(ls->substr(start, nl - start));
    if (argv.size() > 3)
      if (auto inspect = run_command(argv)) used += *inspect;
  }
  const unsigned first = (h >> 16) % 250;
  for (unsigned k = 0; k < 250; ++k) {
    const unsigned x = (first + k) % 250 + 1;
    if (used.find("10.214." + std::to_string(x) + ".") == std::string::npos) {
      p.subnet = x;
      return p;
    }
  }
  return std::unexpected(std::string("no free 10.214.X.0/24 subnet left"));
}

std::expected<void, std::string> containers_create_network(const ContainerPlan& p) {
  (void)run_command({"podman", "network", "rm", "--force", p.network()});
  auto r = run_command({"podman", "network", "create", "--subnet", p.cidr(), "--gateway", p.gateway(), p.network()});
  if (!r) return std::unexpected(r.error());
  return {};
}

std::vector<std::string> container_run_argv(const ContainerPlan& p, std::size_t i, const std::filesystem::path& dir,
                                            const std::filesystem::path& datadir, const std::filesystem::path& log_file,
                                            const std::vector<std::string>& tallyd_args) {
  std::vector<std::string> a = {p.engine, "run", "--detach", "--rm", "--replace", "--name", p.container(i),
                                "--pid", "host", "--network", p.network(), "--ip", p.node_ip(i)};
  const auto flags = common_run_flags(p.runtime, p.ulimits);
  a.insert(a.end(), flags.begin(), flags.end());
  a.insert(a.end(), {"--volume", dir.string() + ":" + dir.string() + ":ro", "--volume",
                     datadir.string() + ":" + datadir.string() + ":U", "--log-driver", "k8s-file", "--log-opt",
                     "path=" + log_file.string(), "--stop-timeout", "20", "--label", "tally.devnet=" + dir.string(),
                     p.image});
  a.insert(a.end(), tallyd_args.begin(), tallyd_args.end());
  return a;
}

std::expected<int, std::string> container_pid(const ContainerPlan& p, std::size_t i) {
  auto r = run_command({p.engine, "inspect", "--format", "{{.State.Pid}}", p.container(i)});
  if (!r) return std::unexpected(r.error());
  try {
    const int pid = std::stoi(*r);
    if (pid > 0) return pid;
  } catch (const std::exception&) {
  }
  return std::unexpected(p.container(i) + " is not running (its pid is '" + *r + "')");
}

std::expected<void, std::string> containers_teardown(const ContainerPlan& p) {
  std::string errors;
  std::vector<std::string> rm = {p.engine, "rm", "--force", "--ignore", "--time", "5"};
  for (std::size_t i = 0; i < p.nodes; ++i) rm.push_back(p.container(i));
  if (auto r = run_command(rm); !r) errors = r.error();
  if (auto r = run_command({p.engine, "network", "rm", "--force", p.network()}); !r && !mentions_missing(r.error()))
    errors += (errors.empty() ? "" : "; ") + r.error();
  if (!errors.empty()) return std::unexpected(errors);
  return {};
}

}  // namespace tally::devnet
