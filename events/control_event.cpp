#include "events/control_event.h"

#include <array>
#include <utility>

#include <boost/json.hpp>

#include "events/json_fields.h"

namespace tally::events {

namespace json = boost::json;
using namespace detail;

namespace {

constexpr std::array<std::pair<std::string_view, ControlType>, 4> kTypes{{
    {"partition", ControlType::kPartition},
    {"heal", ControlType::kHeal},
    {"stop_node", ControlType::kStopNode},
    {"start_node", ControlType::kStartNode},
}};

json::value node_ref_json(const NodeRef& r) {
  if (r.index) return json::value(*r.index);
  return json::value(r.name);
}

std::optional<NodeRef> node_ref_from(const json::value& v) {
  NodeRef r;
  if (const auto* u = v.if_uint64()) r.index = *u;
  else if (const auto* i = v.if_int64(); i && *i >= 0) r.index = static_cast<std::uint64_t>(*i);
  else if (const auto* s = v.if_string()) r.name = std::string(s->data(), s->size());
  else return std::nullopt;
  return r;
}

}  // namespace

std::optional<std::size_t> NodeRef::resolve(const std::vector<std::string>& names) const {
  if (index) return *index < names.size() ? std::optional<std::size_t>(static_cast<std::size_t>(*index)) : std::nullopt;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  return std::nullopt;
}

std::string_view to_string(ControlType type) {
  for (const auto& [name, t] : kTypes)
    if (t == type) return name;
  return "other";
}

ControlEvent make_control_event(ControlType type, std::int64_t ts_us) {
  ControlEvent e;
  e.type = type;
  e.type_name = std::string(to_string(type));
  e.ts_us = ts_us;
  return e;
}

std::string to_json_line(const ControlEvent& e) {
  json::object o;
  o["ts_us"] = e.ts_us;
  o["event"] = e.type_name.empty() ? std::string(to_string(e.type)) : e.type_name;
  if (e.type == ControlType::kPartition) {
    json::array groups;
    for (const auto& g : e.groups) {
      json::array one;
      for (const auto& r : g) one.push_back(node_ref_json(r));
      groups.push_back(std::move(one));
    }
    o["groups"] = std::move(groups);
  } else if (e.type == ControlType::kStopNode || e.type == ControlType::kStartNode) {
    o["node"] = node_ref_json(e.node);
  }
  return json::serialize(o);
}

std::expected<ControlEvent, std::string> parse_control_line(std::string_view line) {
  auto o = parse_object(line);
  if (!o) return std::unexpected(o.error());
  ControlEvent e;
  auto ts = get_count(*o, "ts_us");
  if (!ts) return std::unexpected(ts.error());
  e.ts_us = *ts;
  auto name = get_string(*o, "event");
  if (!name) return std::unexpected(name.error());
  e.type_name = std::move(*name);
  for (const auto& [n, t] : kTypes)
    if (n == e.type_name) e.type = t;
  if (e.type == ControlType::kPartition) {
    const auto* groups = o->if_contains("groups");
    if (!groups) return std::unexpected(missing("groups"));
    if (!groups->is_array()) return std::unexpected(field_error("groups", "is not an array"));
    for (const auto& g : groups->get_array()) {
      if (!g.is_array()) return std::unexpected(field_error("groups", "holds a group that is not an array"));
      std::vector<NodeRef> members;
      for (const auto& m : g.get_array()) {
        auto r = node_ref_from(m);
        if (!r) return std::unexpected(field_error("groups", "holds a node that is neither an index nor a name"));
        members.push_back(std::move(*r));
      }
      e.groups.push_back(std::move(members));
    }
  } else if (e.type == ControlType::kStopNode || e.type == ControlType::kStartNode) {
    const auto* n = o->if_contains("node");
    if (!n) return std::unexpected(missing("node"));
    auto r = node_ref_from(*n);
    if (!r) return std::unexpected(field_error("node", "is neither an index nor a name"));
    e.node = std::move(*r);
  }
  return e;
}

}  // namespace tally::events
