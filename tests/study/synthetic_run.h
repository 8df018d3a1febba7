// A hand-written 6-node devnet run for the study tests: event logs, devnet.json and
// control.jsonl written into a directory (a support::TempDir in the tests), with the scenario's timeline in
// milliseconds so the expected figures can be worked out by hand (see report_test.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace tally::study::testing {

// A 64-hex-digit hash spelled from a short name ("A1" -> "4131000...").
inline std::string hash_of(const std::string& name) {
  std::string out;
  char buf[3];
  for (unsigned char c : name) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  out.resize(64, '0');
  return out;
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class SyntheticRun {
 public:
  static constexpr std::int64_t kT0Us = 1'700'000'000'000'000;
  static constexpr int kNodes = 6;

  explicit SyntheticRun(int nodes = kNodes) : logs_(static_cast<std::size_t>(nodes)) {}

  static std::string name(int node) { return "node" + std::to_string(node); }

  void raw(int node, const std::string& line) { logs_[static_cast<std::size_t>(node)] += line + "\n"; }

  void event(int node, std::int64_t ms, const std::string& type, const std::string& fields) {
    std::string line = "{\"ts_us\":" + std::to_string(kT0Us + ms * 1000) + ",\"node\":\"" + name(node) +
                       "\",\"event\":\"" + type + "\"";
    if (!fields.empty()) line += "," + fields;
    raw(node, line + "}");
  }

  void started(int node, std::int64_t ms, int height) { event(node, ms, "node_started", "\"height\":" + std::to_string(height)); }
  void stopped(int node, std::int64_t ms, int height) { event(node, ms, "node_stopped", "\"height\":" + std::to_string(height)); }

  void header(int node, std::int64_t ms, const std::string& block, int height, int peer) {
    event(node, ms, "header_seen",
          "\"hash\":\"" + hash_of(block) + "\",\"height\":" + std::to_string(height) + ",\"peer\":" + std::to_string(peer));
  }
  void connected(int node, std::int64_t ms, const std::string& block, int height, int txs = 1) {
    event(node, ms, "block_connected",
          "\"hash\":\"" + hash_of(block) + "\",\"height\":" + std::to_string(height) + ",\"txs\":" + std::to_string(txs));
  }
  void tip_changed(int node, std::int64_t ms, const std::string& old_tip, const std::string& new_tip, int height) {
    event(node, ms, "tip_changed",
          "\"old_tip\":\"" + hash_of(old_tip) + "\",\"new_tip\":\"" + hash_of(new_tip) + "\",\"height\":" +
              std::to_string(height));
    tip_[node] = new_tip;
  }
  void reorg(int node, std::int64_t ms, const std::string& old_tip, const std::string& new_tip, int depth) {
    event(node, ms, "reorg",
          "\"old_tip\":\"" + hash_of(old_tip) + "\",\"new_tip\":\"" + hash_of(new_tip) + "\",\"depth\":" +
              std::to_string(depth));
  }
  void tx_accepted(int node, std::int64_t ms, const std::string& tx, int peer) {
    event(node, ms, "tx_accepted", "\"txid\":\"" + hash_of(tx) + "\",\"peer\":" + std::to_string(peer));
  }
  void tx_rejected(int node, std::int64_t ms, const std::string& tx, int peer, const std::string& reason) {
    event(node, ms, "tx_rejected",
          "\"txid\":\"" + hash_of(tx) + "\",\"peer\":" + std::to_string(peer) + ",\"reason\":\"" + reason + "\"");
  }

  // The block extends `node`'s tip: mined here (header with peer 0 at ms) or relayed by
  // `peer` (header 5 ms before ms); connected and the tip changes at ms.
  void extend(int node, std::int64_t ms, const std::string& block, int height, int peer) {
    header(node, peer == 0 ? ms : ms - 5, block, height, peer);
    connected(node, ms, block, height);
    tip_changed(node, ms, tip_.count(node) ? tip_[node] : "G", block, height);
  }

  void control(const std::string& line) { control_ += line + "\n"; }
  void control_event(std::int64_t ms, const std::string& type, const std::string& fields = "") {
    std::string line = "{\"ts_us\":" + std::to_string(kT0Us + ms * 1000) + ",\"event\":\"" + type + "\"";
    if (!fields.empty()) line += "," + fields;
    control(line + "}");
  }

  // devnet.json with a line topology unless `layout` is given.
  void write(const std::filesystem::path& dir, const std::string& layout = "") const {
    std::string json = layout;
    if (json.empty()) {
      json = "{\"version\":1,\"nodes\":[";
      for (std::size_t i = 0; i < logs_.size(); ++i)
        json += std::string(i ? "," : "") + "{\"name\":\"" + name(static_cast<int>(i)) + "\",\"datadir\":\"" +
                name(static_cast<int>(i)) + "\",\"rpc_port\":" + std::to_string(20000 + i) + "}";
      json += "],\"topology\":\"line\",\"edges\":[";
      for (std::size_t i = 1; i < logs_.size(); ++i)
        json += std::string(i > 1 ? "," : "") + "[" + std::to_string(i) + "," + std::to_string(i - 1) + "]";
      json += "]}";
    }
    write_text(dir / "devnet.json", json);
    for (std::size_t i = 0; i < logs_.size(); ++i)
      write_text(dir / name(static_cast<int>(i)) / "events.jsonl", logs_[i]);
    if (!control_.empty()) write_text(dir / "control.jsonl", control_);
  }

 private:
  std::vector<std::string> logs_;
  std::string control_;
  std::map<int, std::string> tip_;
};

// The scenario of the report tests, on a line 0-1-2-3-4-5 (times in ms from kT0Us):
//   0      all nodes start at height 0 (genesis "G")
//   1000   node0 mines A1; node i connects it at 1000 + 10 i (header 5 ms earlier)
//   1500   tx1 submitted at node1; accepted by 0 and 2 at +10, 3 at +20, 4 at +30, 5 at +40
//   1600   node0 rejects tx3
//   2000   node3 mines A2; 2 and 4 at +10, 1 and 5 at +20, 0 at +30
//   3000   partition [0,1,2] | [3,4,5]
//   4000   node0 mines B3 (1 at +10, 2 at +20); 5000 node0 mines B4 (same delays)
//   4500   node3 mines C3; 5500 C4; 6000 C5 (4 at +10, 5 at +20)
//   4600   tx2 submitted at node5; 4 at +10, 3 at +20
//   7000   heal; node2 reorgs B4 -> C5 (depth 2) at 7100, node1 at 7200, node0 at 7300;
//          node3 sees the headers of B3, B4 at 7050; node2 accepts tx2 at 7150
//   8000   node5 mines D6; 4 at +10, 3 at +20, 2 at +30, 1 at +40, 0 at +50
//   9000   node4 stops (control stop_node and node_stopped)
//   9500   node0 mines E7; 1 at +10, 2 at +20, 3 at +30, 5 at +40
//   10000  the other nodes stop
// node2's log also holds 4 malformed lines, one unknown event type and a blank line;
// control.jsonl holds one malformed line.
inline SyntheticRun scenario() {
  SyntheticRun r;
  for (int n = 0; n < 6; ++n) r.started(n, 0, 0);
  r.event(1, 100, "peer_connected", "\"peer\":1,\"address\":\"127.0.0.1:30000\",\"inbound\":false,\"user_agent\":\"/tally:0.1.0/\"");

  // A1 from node0 down the line.
  r.extend(0, 1000, "A1", 1, 0);
  for (int n = 1; n < 6; ++n) r.extend(n, 1000 + 10 * n, "A1", 1, 1);

  r.tx_accepted(1, 1500, "tx1", 0);
  r.tx_accepted(0, 1510, "tx1", 1);
  r.tx_accepted(2, 1510, "tx1", 1);
  r.tx_accepted(3, 1520, "tx1", 1);
  r.tx_accepted(4, 1530, "tx1", 1);
  r.tx_accepted(5, 1540, "tx1", 1);
  r.tx_rejected(0, 1600, "tx3", 0, "nonce-too-low");

  // A2 from node3 both ways.
  r.extend(3, 2000, "A2", 2, 0);
  r.extend(2, 2010, "A2", 2, 1);
  r.extend(4, 2010, "A2", 2, 1);
  r.extend(1, 2020, "A2", 2, 1);
  r.extend(5, 2020, "A2", 2, 1);
  r.extend(0, 2030, "A2", 2, 1);

  r.control_event(3000, "partition", "\"groups\":[[0,1,2],[3,4,5]]");
  r.event(2, 3000, "peer_disconnected", "\"peer\":2,\"address\":\"127.0.0.1:30003\",\"reason\":\"partition\"");

  // Side [0,1,2]: B3, B4 from node0.
  for (auto [ms, block, height] : {std::tuple{4000, "B3", 3}, std::tuple{5000, "B4", 4}}) {
    r.extend(0, ms, block, height, 0);
    r.extend(1, ms + 10, block, height, 1);
    r.extend(2, ms + 20, block, height, 1);
  }
  // Side [3,4,5]: C3, C4, C5 from node3.
  for (auto [ms, block, height] : {std::tuple{4500, "C3", 3}, std::tuple{5500, "C4", 4}, std::tuple{6000, "C5", 5}}) {
    r.extend(3, ms, block, height, 0);
    r.extend(4, ms + 10, block, height, 1);
    r.extend(5, ms + 20, block, height, 1);
  }
  r.tx_accepted(5, 4600, "tx2", 0);
  r.tx_accepted(4, 4610, "tx2", 1);
  r.tx_accepted(3, 4620, "tx2", 1);

  // node2's log: rubbish between its events.
  r.raw(2, "this is not json");
  r.raw(2, "{\"node\":\"node2\",\"event\":\"node_started\",\"height\":0}");
  r.raw(2, "{\"ts_us\":1700000000005000,\"node\":\"node2\",\"event\":\"header_seen\",\"hash\":\"xyz\",\"height\":3,\"peer\":1}");
  r.raw(2, "");
  r.raw(2, "{\"ts_us\":1700000000005000,\"node\":\"node2\",\"event\":\"from_the_future\",\"x\":1}");

  r.control_event(7000, "heal");
  r.control("{\"event\":\"heal\"}");  // no ts_us: malformed
  r.header(3, 7050, "B3", 3, 2);
  r.header(3, 7050, "B4", 4, 2);
  for (auto [node, ms] : {std::pair{2, 7100}, std::pair{1, 7200}, std::pair{0, 7300}}) {
    r.header(node, ms - 50, "C3", 3, 1);
    r.header(node, ms - 50, "C4", 4, 1);
    r.header(node, ms - 50, "C5", 5, 1);
    r.connected(node, ms, "C3", 3);
    r.connected(node, ms, "C4", 4);
    r.connected(node, ms, "C5", 5);
    r.reorg(node, ms, "B4", "C5", 2);
    r.tip_changed(node, ms, "B4", "C5", 5);
  }
  r.tx_accepted(2, 7150, "tx2", 1);

  // D6 from node5 up the line.
  for (int n = 5; n >= 0; --n) r.extend(n, 8000 + 10 * (5 - n), "D6", 6, n == 5 ? 0 : 1);

  r.control_event(9000, "stop_node", "\"node\":\"node4\"");
  r.stopped(4, 9000, 6);

  // E7 from node0, node4 is down.
  r.extend(0, 9500, "E7", 7, 0);
  r.extend(1, 9510, "E7", 7, 1);
  r.extend(2, 9520, "E7", 7, 1);
  r.extend(3, 9530, "E7", 7, 1);
  r.extend(5, 9540, "E7", 7, 1);
  for (int n : {0, 1, 2, 3, 5}) r.stopped(n, 10000, 7);
  // A crash-truncated last line.
  r.raw(2, "{\"ts_us\":1700000000010001,\"node\":\"node2\",\"ev");
  return r;
}

}  // namespace tally::study::testing
