#include "events/event.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <span>
#include <variant>

#include <boost/json.hpp>

#include "base/json_read.h"

namespace tally::events {

namespace json = boost::json;
using base::json_field;
using base::json_optional;

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

// 64 hex digits, returned in lower case.
std::string read_hash(const json::value& v) {
  std::string s = base::json_string(v);
  if (!is_hash_hex(s)) base::json_fail("must be 64 hex digits");
  std::ranges::transform(s, s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::int64_t read_count(const json::value& v) { return base::json_integer<std::int64_t>(v, 0); }

// The "event" type name: a non-empty string. (An empty one would be written back as
// "unknown": the writer names nameless events by their type.)
std::string read_type_name(const json::value& v) {
  std::string name = base::json_string(v);
  if (name.empty()) base::json_fail("must not be empty");
  return name;
}

void read_field(const json::object& o, const FieldSpec& f, Event& e) {
  switch (f.kind) {
    case Kind::kHash:
      e.*std::get<std::string Event::*>(f.member) = json_field(o, f.key, read_hash);
      break;
    case Kind::kString:
      e.*std::get<std::string Event::*>(f.member) = json_field<std::string>(o, f.key);
      break;
    case Kind::kCount:
      e.*std::get<std::int64_t Event::*>(f.member) = json_field(o, f.key, read_count);
      break;
    case Kind::kUint:
      e.*std::get<std::uint64_t Event::*>(f.member) = json_field<std::uint64_t>(o, f.key);
      break;
    case Kind::kBool:
      e.*std::get<bool Event::*>(f.member) = json_field<bool>(o, f.key);
      break;
    case Kind::kHashList:  // optional
      if (auto list = json_optional(o, f.key, [](const json::value& v) { return base::json_elements(v, read_hash); })) {
        e.has_txids = true;
        e.*std::get<std::vector<std::string> Event::*>(f.member) = std::move(*list);
      }
      break;
  }
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

// Strict: the common fields, then those of the type in table order; errors name the field.
Event tag_invoke(json::value_to_tag<Event>, const json::value& v) {
  const json::object& o = base::json_object(v, "not a JSON object");
  Event e;
  e.ts_us = json_field(o, "ts_us", read_count);
  e.node_name = json_field<std::string>(o, "node");
  e.type_name = json_field(o, "event", read_type_name);
  for (const auto& t : kTypes) {
    if (t.name != e.type_name) continue;
    e.type = t.type;
    for (const auto& f : t.fields) read_field(o, f, e);
  }
  return e;
}

std::expected<Event, std::string> parse_event_line(std::string_view line) {
  return base::read_json_text<Event>(line);
}

}  // namespace tally::events
