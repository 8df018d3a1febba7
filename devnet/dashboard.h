// `tally-devnet dashboard`: a live view of a running devnet in the browser. One page (assets
// embedded) on 127.0.0.1:PORT that polls GET /api/state, a JSON snapshot of DashboardModel.
//
// Threads: an HTTP server (Boost.Beast, one io_context thread); a poller that every second
// reads devnet.json and the nodes' status, outbound peers and missing block headers over RPC
// and the new lines of control.jsonl; and one reader per node of its GET /events stream (the
// first sighting of each block by each node, for propagation). The model is shared under a
// mutex. A node that is down or restarts is reconnected to; nothing here can stall a node
// (its /events queue is bounded, and a reader that falls behind is dropped by the node).
//
// Lifecycle: start() once, stop() (idempotent; the destructor calls it) from another thread.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace tally::devnet {

class Dashboard {
 public:
  // Serves the devnet in `dir` on 127.0.0.1:`port` (0: any free port).
  [[nodiscard]] static std::expected<std::unique_ptr<Dashboard>, std::string> start(
      const std::filesystem::path& dir, std::uint16_t port, std::function<void(const std::string&)> log = {});
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  std::uint16_t port() const;
  void stop();

 private:
  struct Impl;
  explicit Dashboard(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::devnet
