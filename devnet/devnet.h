// Devnet: a set of tallyd processes on this machine, laid out by `up` and recorded in
// DIR/devnet.json so that later invocations (separate processes) find them again.
//
// Every operation first re-reads DIR/devnet.json (another tally-devnet may have stopped or
// started a node meanwhile) and writes it back after a change. Processes are identified by
// their recorded pid *and* their command line (a tallyd with that datadir), so a reused pid
// is never signalled. `down` stops every node it can find, including those of a devnet whose
// launcher crashed, and leaves the datadirs unless asked to clean.
//
// Thread-safety: the methods may be called from several threads (run() shows status while a
// load thread submits transactions); the layout is guarded by a mutex, RPC connections are
// per call. Not safe against concurrent *changes* (stop/start/partition) from two processes.
#pragma once

#include <atomic>
#include <chrono>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ledger/chain_spec.h"
#include "devnet/containers.h"
#include "devnet/layout.h"
#include "devnet/load.h"
#include "devnet/netns.h"
#include "devnet/options.h"
#include "devnet/status.h"
#include "rpc/rpc_client.h"

namespace tally::devnet {

// Progress messages for people ("started node2 (pid 4242) p2p 127.0.0.1:40123"); may be empty.
using LogFn = std::function<void(const std::string&)>;

class Devnet {
 public:
  // Lays out and starts a devnet in options.dir: picks free loopback ports, writes the chain
  // spec copy and devnet.json, starts every tallyd detached, and waits until each answers
  // RPC. Fails when a devnet recorded in the directory still runs. On any failure every
  // process it started is stopped again.
  [[nodiscard]] static std::expected<Devnet, std::string> up(const UpOptions& options, LogFn log = {});
  // The devnet recorded in dir/devnet.json (its nodes may be up or down).
  [[nodiscard]] static std::expected<Devnet, std::string> open(const std::filesystem::path& dir, LogFn log = {});

  Devnet(Devnet&&) noexcept;
  Devnet& operator=(Devnet&&) noexcept;
  ~Devnet();

  // A copy of the current layout (as last read or written).
  Layout layout() const;
  const ledger::ChainSpec& spec() const { return *spec_; }

  // Queries every node (in parallel, a few seconds' timeout each); down nodes are marked.
  StatusReport status();

  // Submits transfers at `tps` for `duration_s` seconds (<= 0: until *stop), see load.h.
  [[nodiscard]] std::expected<LoadReport, std::string> load(double tps, double duration_s,
                                                            const std::atomic<bool>* stop = nullptr,
                                                            std::uint64_t seed = 0,
                                                            std::function<void(const LoadReport&)> progress = {});

  // Every node refuses and drops the P2P endpoints of the nodes in the other groups. Nodes
  // named in no group form one more group. A node that is down gets its list when start()ed.
  [[nodiscard]] std::expected<void, std::string> partition(const std::vector<std::vector<std::size_t>>& groups);
  // Every node accepts every peer again.
  [[nodiscard]] std::expected<void, std::string> heal();

  // RPC stop, then waits for the process to exit (SIGTERM, then SIGKILL on timeouts).
  [[nodiscard]] std::expected<void, std::string> stop(std::size_t node);
  // Starts a stopped node with its recorded flags, waits for its RPC, re-applies a partition.
  [[nodiscard]] std::expected<void, std::string> start(std::size_t node);

  // Stops every node (RPC stop, then SIGTERM, then SIGKILL after timeouts) and leaves no
  // process behind. Keeps the datadirs; `clean` removes what up() made and then DIR if empty.
  [[nodiscard]] std::expected<void, std::string> down(bool clean = false);

  // An RPC client for a node (reads its current cookie).
  [[nodiscard]] std::expected<rpc::RpcClient, std::string> client(std::size_t node,
                                                                  std::chrono::milliseconds timeout =
                                                                      std::chrono::seconds(10)) const;

 private:
  Devnet(Layout layout, std::shared_ptr<const ledger::ChainSpec> spec, LogFn log);
  [[nodiscard]] static std::expected<Devnet, std::string> up_netns(const UpOptions& options, Layout layout,
                                                                   std::shared_ptr<const ledger::ChainSpec> spec,
                                                                   const std::vector<std::size_t>& miners, LogFn log);
  [[nodiscard]] static std::expected<Devnet, std::string> up_containers(const UpOptions& options, Layout layout,
                                                                        std::shared_ptr<const ledger::ChainSpec> spec,
                                                                        const std::vector<std::size_t>& miners,
                                                                        const ContainerPlan& plan, LogFn log);
  std::optional<NetnsPlan> netns_plan() const;  // netns mode: the recorded plan
  std::optional<ContainerPlan> container_plan() const;  // podman mode: the recorded plan
  void reload();  // re-reads devnet.json when it exists
  [[nodiscard]] std::expected<void, std::string> save();
  [[nodiscard]] std::expected<void, std::string> start_all(std::chrono::milliseconds timeout);
  [[nodiscard]] std::expected<void, std::string> spawn(std::size_t node);
  [[nodiscard]] std::expected<void, std::string> spawn_container(std::size_t node, const NodeRecord& record);
  [[nodiscard]] std::expected<void, std::string> wait_ready(const std::vector<std::size_t>& nodes,
                                                            std::chrono::milliseconds timeout);
  [[nodiscard]] std::expected<void, std::string> apply_partition(std::size_t node);
  void say(const std::string& message) const;

  std::unique_ptr<std::mutex> mu_;  // guards layout_ (a pointer, so that Devnet stays movable)
  Layout layout_;
  std::shared_ptr<const ledger::ChainSpec> spec_;
  LogFn log_;
};

// The pids of running tallyd processes of a node: the recorded one and the one in
// datadir/node.json, each only when it is a tallyd for that datadir.
std::vector<int> live_pids(const NodeRecord& node);

// The last `max_lines` lines of a file (for start errors: the node's stdout.log).
std::string tail_file(const std::filesystem::path& file, std::size_t max_lines = 8);

}  // namespace tally::devnet
