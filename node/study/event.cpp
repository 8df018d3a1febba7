#include "node/study/event.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include <boost/json.hpp>

namespace tally::study {

namespace json = boost::json;

namespace {

constexpr std::array<std::pair<std::string_view, EventType>, 11> kTypes{{
    {"node_started", EventType::kNodeStarted},
    {"node_stopped", EventType::kNodeStopped},
    {"header_seen", EventType::kHeaderSeen},
    {"block_connected", EventType::kBlockConnected},
    {"tip_changed", EventType::kTipChanged},
    {"reorg", EventType::kReorg},
    {"block_rejected", EventType::kBlockRejected},
    {"tx_accepted", EventType::kTxAccepted},
    {"tx_rejected", EventType::kTxRejected},
    {"peer_connected", EventType::kPeerConnected},
    {"peer_disconnected", EventType::kPeerDisconnected},
}};

// "\"key\" what", built by appending (GCC 12 warns falsely on "literal" + std::string).
std::string field_error(std::string_view key, std::string_view what) {
  std::string s = "\"";
  s += key;
  s += "\" ";
  s += what;
  return s;
}

std::string missing(std::string_view key) {
  std::string s = "missing \"";
  s += key;
  s += '"';
  return s;
}

// Field readers: each returns an error message naming the field when it is missing or of
// the wrong kind, so a malformed line's reason says what was wrong.
std::expected<std::int64_t, std::string> get_int(const json::object& o, std::string_view key, bool non_negative) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::unexpected(missing(key));
  std::int64_t out = 0;
  if (const auto* i = v->if_int64()) {
    out = *i;
  } else if (const auto* u = v->if_uint64()) {
    if (*u > static_cast<std::uint64_t>(INT64_MAX)) return std::unexpected(field_error(key, "out of range"));
    out = static_cast<std::int64_t>(*u);
  } else {
    return std::unexpected(field_error(key, "is not an integer"));
  }
  if (non_negative && out < 0) return std::unexpected(field_error(key, "is negative"));
  return out;
}

std::expected<std::uint64_t, std::string> get_uint(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::unexpected(missing(key));
  if (const auto* u = v->if_uint64()) return *u;
  if (const auto* i = v->if_int64(); i && *i >= 0) return static_cast<std::uint64_t>(*i);
  return std::unexpected(field_error(key, "is not a non-negative integer"));
}

std::expected<std::string, std::string> get_string(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::unexpected(missing(key));
  const auto* s = v->if_string();
  if (!s) return std::unexpected(field_error(key, "is not a string"));
  return std::string(s->data(), s->size());
}

std::expected<std::string, std::string> get_hash(const json::object& o, std::string_view key) {
  auto s = get_string(o, key);
  if (!s) return s;
  if (!is_hash_hex(*s)) return std::unexpected(field_error(key, "is not 64 hex digits"));
  std::ranges::transform(*s, s->begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::expected<void, std::string> parse_fields(const json::object& o, Event& e) {
  // Each helper assigns on success; the first error ends the parse.
  std::string err;
  auto take = [&err](auto result, auto& out) {
    if (!err.empty()) return;
    if (!result) {
      err = result.error();
      return;
    }
    out = std::move(*result);
  };
  switch (e.type) {
    case EventType::kNodeStarted:
    case EventType::kNodeStopped:
      take(get_int(o, "height", true), e.height);
      break;
    case EventType::kHeaderSeen:
      take(get_hash(o, "hash"), e.hash);
      take(get_int(o, "height", true), e.height);
      take(get_uint(o, "peer"), e.peer);
      break;
    case EventType::kBlockConnected:
      take(get_hash(o, "hash"), e.hash);
      take(get_int(o, "height", true), e.height);
      take(get_int(o, "txs", true), e.count);
      if (err.empty() && o.contains("txids")) {
        const auto* arr = o.at("txids").if_array();
        if (!arr) return std::unexpected(std::string("\"txids\" is not an array"));
        e.has_txids = true;
        for (const auto& t : *arr) {
          const auto* s = t.if_string();
          if (!s || !is_hash_hex(*s)) return std::unexpected(std::string("\"txids\" holds a non-hash"));
          std::string id(s->data(), s->size());
          std::ranges::transform(id, id.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
          e.txids.push_back(std::move(id));
        }
      }
      break;
    case EventType::kTipChanged:
      take(get_hash(o, "old_tip"), e.old_tip);
      take(get_hash(o, "new_tip"), e.new_tip);
      take(get_int(o, "height", true), e.height);
      break;
    case EventType::kReorg:
      take(get_hash(o, "old_tip"), e.old_tip);
      take(get_hash(o, "new_tip"), e.new_tip);
      take(get_int(o, "depth", true), e.count);
      break;
    case EventType::kBlockRejected:
      take(get_hash(o, "hash"), e.hash);
      take(get_uint(o, "peer"), e.peer);
      take(get_string(o, "reason"), e.text);
      break;
    case EventType::kTxAccepted:
      take(get_hash(o, "txid"), e.hash);
      take(get_uint(o, "peer"), e.peer);
      break;
    case EventType::kTxRejected:
      take(get_hash(o, "txid"), e.hash);
      take(get_uint(o, "peer"), e.peer);
      take(get_string(o, "reason"), e.text);
      break;
    case EventType::kPeerConnected:
      take(get_uint(o, "peer"), e.peer);
      take(get_string(o, "address"), e.text);
      break;
    case EventType::kPeerDisconnected:
      take(get_uint(o, "peer"), e.peer);
      take(get_string(o, "reason"), e.text);
      break;
    case EventType::kUnknown:
      break;
  }
  if (!err.empty()) return std::unexpected(err);
  return {};
}

}  // namespace

std::string_view to_string(EventType type) {
  for (const auto& [name, t] : kTypes)
    if (t == type) return name;
  return "unknown";
}

bool is_hash_hex(std::string_view text) {
  return text.size() == 64 && std::ranges::all_of(text, [](unsigned char c) { return std::isxdigit(c) != 0; });
}

std::expected<Event, std::string> parse_event_line(std::string_view line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec) return std::unexpected("not JSON: " + ec.message());
  const auto* o = v.if_object();
  if (!o) return std::unexpected(std::string("not a JSON object"));
  Event e;
  auto ts = get_int(*o, "ts_us", true);
  if (!ts) return std::unexpected(ts.error());
  e.ts_us = *ts;
  auto node = get_string(*o, "node");
  if (!node) return std::unexpected(node.error());
  auto type = get_string(*o, "event");
  if (!type) return std::unexpected(type.error());
  e.type_name = *type;
  for (const auto& [name, t] : kTypes)
    if (name == *type) e.type = t;
  if (auto r = parse_fields(*o, e); !r) return std::unexpected(r.error());
  return e;
}

}  // namespace tally::study
