#include "events/event.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <span>
#include <variant>

#include <boost/json.hpp>

#include "events/json_fields.h"

namespace tally::events {

namespace json = boost::json;
using namespace detail;

namespace {

// How a field is written and read.
enum class Kind {
  kHash,      // 64 hex digits (std::string member)
  kCount,     // non-negative integer (std::int64_t member)
  kUint,      // non-negative integer (std::uint64_t member)
  kString,    // std::string member
  kBool,      // bool member
  kHashList,  // optional array of hashes (std::vector<std::string> member, with has_txids)
};
using Member = std::variant<std::string Event::*, std::int64_t Event::*, std::uint64_t Event::*, bool Event::*,
                            std::vector<std::string> Event::*>;

struct FieldSpec {
  std::string_view key;
  Kind kind;
  Member member;
};

struct TypeSpec {
  EventType type;
  std::string_view name;
  std::span<const FieldSpec> fields;
};

// The schema: every event type and its fields, in the order they are written.
constexpr FieldSpec kHeight[] = {{"height", Kind::kCount, &Event::height}};
constexpr FieldSpec kHeaderSeen[] = {{"hash", Kind::kHash, &Event::hash},
                                     {"height", Kind::kCount, &Event::height},
                                     {"peer", Kind::kUint, &Event::peer}};
constexpr FieldSpec kBlockConnected[] = {{"hash", Kind::kHash, &Event::hash},
                                         {"height", Kind::kCount, &Event::height},
                                         {"txs", Kind::kCount, &Event::count},
                                         {"txids", Kind::kHashList, &Event::txids}};
constexpr FieldSpec kTipChanged[] = {{"old_tip", Kind::kHash, &Event::old_tip},
                                     {"new_tip", Kind::kHash, &Event::new_tip},
                                     {"height", Kind::kCount, &Event::height}};
constexpr FieldSpec kReorg[] = {{"old_tip", Kind::kHash, &Event::old_tip},
                                {"new_tip", Kind::kHash, &Event::new_tip},
                                {"depth", Kind::kCount, &Event::count}};
constexpr FieldSpec kBlockRejected[] = {{"hash", Kind::kHash, &Event::hash},
                                        {"peer", Kind::kUint, &Event::peer},
                                        {"reason", Kind::kString, &Event::reason}};
constexpr FieldSpec kTxAccepted[] = {{"txid", Kind::kHash, &Event::hash}, {"peer", Kind::kUint, &Event::peer}};
constexpr FieldSpec kTxRejected[] = {{"txid", Kind::kHash, &Event::hash},
                                     {"peer", Kind::kUint, &Event::peer},
                                     {"reason", Kind::kString, &Event::reason}};
constexpr FieldSpec kPeerConnected[] = {{"peer", Kind::kUint, &Event::peer},
                                        {"address", Kind::kString, &Event::address},
                                        {"inbound", Kind::kBool, &Event::inbound},
                                        {"user_agent", Kind::kString, &Event::user_agent}};
constexpr FieldSpec kPeerDisconnected[] = {{"peer", Kind::kUint, &Event::peer},
                                           {"address", Kind::kString, &Event::address},
                                           {"reason", Kind::kString, &Event::reason}};

constexpr std::array<TypeSpec, 11> kTypes{{
    {EventType::kNodeStarted, "node_started", kHeight},
    {EventType::kNodeStopped, "node_stopped", kHeight},
    {EventType::kHeaderSeen, "header_seen", kHeaderSeen},
    {EventType::kBlockConnected, "block_connected", kBlockConnected},
    {EventType::kTipChanged, "tip_changed", kTipChanged},
    {EventType::kReorg, "reorg", kReorg},
    {EventType::kBlockRejected, "block_rejected", kBlockRejected},
    {EventType::kTxAccepted, "tx_accepted", kTxAccepted},
    {EventType::kTxRejected, "tx_rejected", kTxRejected},
    {EventType::kPeerConnected, "peer_connected", kPeerConnected},
    {EventType::kPeerDisconnected, "peer_disconnected", kPeerDisconnected},
}};

const TypeSpec* spec_of(EventType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return &t;
  return nullptr;
}

void write_field(json::object& o, const FieldSpec& f, const Event& e) {
  switch (f.kind) {
    case Kind::kHash:
    case Kind::kString:
      o[f.key] = e.*std::get<std::string Event::*>(f.member);
      break;
    case Kind::kCount:
      o[f.key] = e.*std::get<std::int64_t Event::*>(f.member);
      break;
    case Kind::kUint:
      o[f.key] = e.*std::get<std::uint64_t Event::*>(f.member);
      break;
    case Kind::kBool:
      o[f.key] = e.*std::get<bool Event::*>(f.member);
      break;
    case Kind::kHashList: {
      if (!e.has_txids) break;
      json::array ids;
      const auto& list = e.*std::get<std::vector<std::string> Event::*>(f.member);
      ids.reserve(list.size());
      for (const auto& id : list) ids.emplace_back(id);
      o[f.key] = std::move(ids);
      break;
    }
  }
}

std::expected<std::vector<std::string>, std::string> read_hash_list(const json::value& v, std::string_view key) {
  const auto* arr = v.if_array();
  if (!arr) return std::unexpected(field_error(key, "is not an array"));
  std::vector<std::string> out;
  out.reserve(arr->size());
  for (const auto& t : *arr) {
    const auto* s = t.if_string();
    if (!s || !is_hash_hex(*s)) return std::unexpected(field_error(key, "holds a non-hash"));
    std::string id(s->data(), s->size());
    std::ranges::transform(id, id.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.push_back(std::move(id));
  }
  return out;
}

std::expected<void, std::string> read_field(const json::object& o, const FieldSpec& f, Event& e) {
  auto assign = [&](auto result, auto member) -> std::expected<void, std::string> {
    if (!result) return std::unexpected(result.error());
    e.*member = std::move(*result);
    return {};
  };
  switch (f.kind) {
    case Kind::kHash:
      return assign(get_hash(o, f.key), std::get<std::string Event::*>(f.member));
    case Kind::kString:
      return assign(get_string(o, f.key), std::get<std::string Event::*>(f.member));
    case Kind::kCount:
      return assign(get_count(o, f.key), std::get<std::int64_t Event::*>(f.member));
    case Kind::kUint:
      return assign(get_uint(o, f.key), std::get<std::uint64_t Event::*>(f.member));
    case Kind::kBool:
      return assign(get_bool(o, f.key), std::get<bool Event::*>(f.member));
    case Kind::kHashList: {
      const json::value* v = o.if_contains(f.key);
      if (!v) return {};  // optional
      e.has_txids = true;
      return assign(read_hash_list(*v, f.key), std::get<std::vector<std::string> Event::*>(f.member));
    }
  }
  return {};
}

}  // namespace

std::string_view to_string(EventType type) {
  const TypeSpec* t = spec_of(type);
  return t ? t->name : "unknown";
}

bool is_hash_hex(std::string_view text) {
  return text.size() == 64 && std::ranges::all_of(text, [](unsigned char c) { return std::isxdigit(c) != 0; });
}

Event make_event(EventType type, std::int64_t ts_us, std::string node_name) {
  Event e;
  e.type = type;
  e.type_name = std::string(to_string(type));
  e.ts_us = ts_us;
  e.node_name = std::move(node_name);
  return e;
}

std::string to_json_line(const Event& e) {
  json::object o;
  o["ts_us"] = e.ts_us;
  o["node"] = e.node_name;
  o["event"] = e.type_name.empty() ? std::string(to_string(e.type)) : e.type_name;
  if (const TypeSpec* t = spec_of(e.type))
    for (const auto& f : t->fields) write_field(o, f, e);
  return json::serialize(o);
}

std::expected<Event, std::string> parse_event_line(std::string_view line) {
  auto o = parse_object(line);
  if (!o) return std::unexpected(o.error());
  Event e;
  auto ts = get_count(*o, "ts_us");
  if (!ts) return std::unexpected(ts.error());
  e.ts_us = *ts;
  auto node = get_string(*o, "node");
  if (!node) return std::unexpected(node.error());
  e.node_name = std::move(*node);
  auto type = get_string(*o, "event");
  if (!type) return std::unexpected(type.error());
  e.type_name = std::move(*type);
  for (const auto& t : kTypes) {
    if (t.name != e.type_name) continue;
    e.type = t.type;
    for (const auto& f : t.fields)
      if (auto r = read_field(*o, f, e); !r) return std::unexpected(r.error());
  }
  return e;
}

}  // namespace tally::events
