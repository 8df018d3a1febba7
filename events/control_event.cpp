#include "events/control_event.h"

#include <array>
#include <utility>

#include <boost/json.hpp>

#include "base/json_read.h"

namespace tally::events {

namespace json = boost::json;
using base::json_field;

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

// A node index (a non-negative integer) or a name (a string).
NodeRef tag_invoke(json::value_to_tag<NodeRef>, const json::value& v) {
  NodeRef r;
  if (const auto* u = v.if_uint64()) r.index = *u;
  else if (const auto* i = v.if_int64(); i && *i >= 0) r.index = static_cast<std::uint64_t>(*i);
  else if (const auto* s = v.if_string()) r.name = std::string(s->data(), s->size());
  else base::json_fail("must be a node index or name");
  return r;
}

// Strict like the node events: errors name the field ("groups[1][0]: ...").
ControlEvent tag_invoke(json::value_to_tag<ControlEvent>, const json::value& v) {
  const json::object& o = base::json_object(v, "not a JSON object");
  ControlEvent e;
  e.ts_us = json_field(o, "ts_us", [](const json::value& t) { return base::json_integer<std::int64_t>(t, 0); });
  // Not empty: the writer would name a nameless event "other".
  e.type_name = json_field(o, "event", [](const json::value& t) {
    std::string name = base::json_string(t);
    if (name.empty()) base::json_fail("must not be empty");
    return name;
  });
  for (const auto& [n, t] : kTypes)
    if (n == e.type_name) e.type = t;
  if (e.type == ControlType::kPartition) {
    e.groups = json_field<std::vector<std::vector<NodeRef>>>(o, "groups");
  } else if (e.type == ControlType::kStopNode || e.type == ControlType::kStartNode) {
    e.node = json_field<NodeRef>(o, "node");
  }
  return e;
}

std::expected<ControlEvent, std::string> parse_control_line(std::string_view line) {
  return base::read_json_text<ControlEvent>(line);
}

}  // namespace tally::events
