#include "node/event_log.h"

#include <boost/json.hpp>

#include "crypto/hex.h"

namespace tally::node {

namespace json = boost::json;

std::string event_json_fields(const p2p::NetEvent& event, std::string& type) {
  json::object o;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, p2p::HeaderSeenEvent>) {
          type = "header_seen";
          o["hash"] = crypto::to_hex(e.hash);
          o["height"] = e.height;
          o["peer"] = e.from;
        } else if constexpr (std::is_same_v<T, p2p::BlockConnectedEvent>) {
          type = "block_connected";
          o["hash"] = crypto::to_hex(e.hash);
          o["height"] = e.height;
          o["txs"] = e.tx_count;
          if (!e.txids.empty()) {
            json::array ids;
            ids.reserve(e.txids.size());
            for (const auto& id : e.txids) ids.push_back(json::value(crypto::to_hex(id)));
            o["txids"] = std::move(ids);
          }
        } else if constexpr (std::is_same_v<T, p2p::TipChangedEvent>) {
          type = "tip_changed";
          o["old_tip"] = crypto::to_hex(e.old_tip);
          o["new_tip"] = crypto::to_hex(e.new_tip);
          o["height"] = e.height;
        } else if constexpr (std::is_same_v<T, p2p::ReorgEvent>) {
          type = "reorg";
          o["old_tip"] = crypto::to_hex(e.old_tip);
          o["new_tip"] = crypto::to_hex(e.new_tip);
          o["depth"] = e.depth;
        } else if constexpr (std::is_same_v<T, p2p::BlockRejectedEvent>) {
          type = "block_rejected";
          o["hash"] = crypto::to_hex(e.hash);
          o["peer"] = e.from;
          o["reason"] = e.reason;
        } else if constexpr (std::is_same_v<T, p2p::TxAcceptedEvent>) {
          type = "tx_accepted";
          o["txid"] = crypto::to_hex(e.txid);
          o["peer"] = e.from;
        } else if constexpr (std::is_same_v<T, p2p::TxRejectedEvent>) {
          type = "tx_rejected";
          o["txid"] = crypto::to_hex(e.txid);
          o["peer"] = e.from;
          o["reason"] = e.reason;
        } else if constexpr (std::is_same_v<T, p2p::PeerConnectedEvent>) {
          type = "peer_connected";
          o["peer"] = e.peer;
          o["address"] = e.address.to_string();
          o["inbound"] = e.inbound;
          o["user_agent"] = e.user_agent;
        } else if constexpr (std::is_same_v<T, p2p::PeerDisconnectedEvent>) {
          type = "peer_disconnected";
          o["peer"] = e.peer;
          o["address"] = e.address.to_string();
          o["reason"] = e.reason;
        }
      },
      event.body);
  return json::serialize(o);
}

std::expected<EventLog, std::string> EventLog::open(const std::filesystem::path& path, std::string node_name) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return std::unexpected("cannot open event log " + path.string());
  return EventLog(f, std::move(node_name));
}

EventLog::EventLog(EventLog&& other) noexcept : file_(other.file_), name_(std::move(other.name_)) {
  other.file_ = nullptr;
}

EventLog::~EventLog() {
  if (file_) std::fclose(file_);
}

void EventLog::write_raw(const std::string& event, const std::string& fields, std::int64_t ts_us) {
  if (!file_) return;
  // fields is a JSON object: splice the common members in front of its members.
  std::string line;
  line.reserve(64 + name_.size() + event.size() + fields.size());
  line.append("{\"ts_us\":").append(std::to_string(ts_us));
  line.append(",\"node\":").append(json::serialize(json::value(name_)));
  line.append(",\"event\":\"").append(event).append("\"");
  if (fields.size() > 2) {
    line.push_back(',');
    line.append(fields, 1, std::string::npos);
  } else {
    line.push_back('}');
  }
  line.push_back('\n');
  std::fputs(line.c_str(), file_);
}

void EventLog::write(const p2p::NetEvent& event, std::int64_t ts_us) {
  std::string type;
  const std::string fields = event_json_fields(event, type);
  write_raw(type, fields, ts_us);
}

void EventLog::flush() {
  if (file_) std::fflush(file_);
}

}  // namespace tally::node
