// What the live dashboard shows (`tally-devnet dashboard`), as a sans-I/O model: the nodes
// (height, tip, mempool, peers), the peer graph, the block tree of the last kWindow heights
// with the nodes on each tip, when each node first saw each block (from its /events stream),
// and the devnet's partitions and heals. Fed by the dashboard's pollers; read as one JSON
// snapshot by the page (GET /api/state).
//
// Threading: none inside; the dashboard guards it with a mutex.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "devnet/layout.h"
#include "devnet/status.h"
#include "events/control_event.h"
#include "events/event.h"

namespace tally::devnet {

class DashboardModel {
 public:
  static constexpr std::int64_t kWindow = 30;  // heights of the block tree shown
  static constexpr std::size_t kPropagationBlocks = 6;
  static constexpr std::size_t kMarks = 20;

  void set_layout(const Layout& layout);
  void on_status(const StatusReport& report);
  // The P2P endpoints node `node` dialled (its outbound peers): the edges of the peer graph.
  void on_outbound_peers(std::size_t node, const std::vector<std::string>& endpoints);
  void on_header(const std::string& hash, const std::string& prev, std::int64_t height);
  void on_event(std::size_t node, const events::Event& event);
  void on_control(const events::ControlEvent& event);

  // Hashes the tree needs and does not have, each with a node that has it: the nodes' tips and
  // the parents of known blocks inside the window.
  std::vector<std::pair<std::string, std::size_t>> wanted_headers(std::size_t max) const;

  boost::json::object snapshot(std::int64_t now_us) const;

 private:
  struct Block {
    std::string prev;
    std::int64_t height = 0;
    std::map<std::size_t, std::int64_t> seen_us;  // node -> first header_seen / block_connected
  };
  std::int64_t best_height() const;

  std::string dir_;
  std::vector<std::string> names_;
  std::vector<std::string> endpoints_;
  std::vector<std::vector<std::size_t>> partition_;
  std::vector<NodeStatus> nodes_;
  std::map<std::size_t, std::vector<std::size_t>> outbound_;  // node -> nodes it dialled
  std::map<std::string, Block> blocks_;
  std::map<std::string, std::map<std::size_t, std::int64_t>> early_seen_;  // seen before the header is known
  std::vector<events::ControlEvent> marks_;
};

}  // namespace tally::devnet
