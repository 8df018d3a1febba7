// JSON-RPC 2.0 dispatch: request validation, batches, notifications, parameter checks.
#include "rpc/json_rpc.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace tally::rpc {

namespace json = boost::json;

namespace {

std::string quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

const char* kind_name(json::kind k) {
  switch (k) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "bool";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "value";
}

[[noreturn]] void type_error(std::string_view name, std::string_view expected, const json::value& got) {
  throw RpcError(kInvalidParams,
                 "parameter " + quoted(name) + " must be " + std::string(expected) + ", got " + kind_name(got.kind()));
}

}  // namespace

// --- Params -----------------------------------------------------------------------------

const json::value* Params::get(std::size_t i, std::string_view name) const {
  if (params_ == nullptr) return nullptr;
  const json::value* v = nullptr;
  if (const auto* a = params_->if_array()) {
    if (i < a->size()) v = &(*a)[i];
  } else if (const auto* o = params_->if_object()) {
    v = o->if_contains(name);
  }
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

std::string_view Params::get_string(std::size_t i, std::string_view name) const {
  auto v = get_opt_string(i, name);
  if (!v) throw RpcError(kInvalidParams, "missing required parameter " + quoted(name));
  return *v;
}

std::optional<std::string_view> Params::get_opt_string(std::size_t i, std::string_view name) const {
  const json::value* v = get(i, name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) type_error(name, "a string", *v);
  const json::string& s = v->get_string();
  return std::string_view(s.data(), s.size());
}

std::int64_t Params::get_int(std::size_t i, std::string_view name, std::int64_t min, std::int64_t max) const {
  auto v = get_opt_int(i, name, min, max);
  if (!v) throw RpcError(kInvalidParams, "missing required parameter " + quoted(name));
  return *v;
}

std::optional<std::int64_t> Params::get_opt_int(std::size_t i, std::string_view name, std::int64_t min,
                                                std::int64_t max) const {
  const json::value* v = get(i, name);
  if (v == nullptr) return std::nullopt;
  const std::string range = " (allowed: " + std::to_string(min) + " to " + std::to_string(max) + ")";
  std::int64_t out = 0;
  switch (v->kind()) {
    case json::kind::int64: out = v->get_int64(); break;
    case json::kind::uint64:
      if (v->get_uint64() > static_cast<std::uint64_t>(max))
        throw RpcError(kInvalidParameter, "parameter " + quoted(name) + " out of range" + range);
      out = static_cast<std::int64_t>(v->get_uint64());
      break;
    case json::kind::double_: {
      // Boost.JSON stores integers beyond 64 bits, fractions and exponents as doubles. An
      // integral double is accepted only where a double represents every integer exactly.
      // (A huge exponent such as 1e400 parses as infinity: out of range, like 1e30.)
      const double d = v->get_double();
      if (std::isnan(d) || (std::isfinite(d) && std::trunc(d) != d)) type_error(name, "an integer", *v);
      constexpr double kExact = 9007199254740992.0;  // 2^53
      if (!std::isfinite(d) || std::fabs(d) > kExact || d < static_cast<double>(min) || d > static_cast<double>(max))
        throw RpcError(kInvalidParameter, "parameter " + quoted(name) + " out of range" + range);
      out = static_cast<std::int64_t>(d);
      break;
    }
    default: type_error(name, "an integer", *v);
  }
  if (out < min || out > max) throw RpcError(kInvalidParameter, "parameter " + quoted(name) + " out of range" + range);
  return out;
}

bool Params::get_bool(std::size_t i, std::string_view name) const {
  auto v = get_opt_bool(i, name);
  if (!v) throw RpcError(kInvalidParams, "missing required parameter " + quoted(name));
  return *v;
}

std::optional<bool> Params::get_opt_bool(std::size_t i, std::string_view name) const {
  const json::value* v = get(i, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_bool()) return v->get_bool();
  if (v->is_int64() && (v->get_int64() == 0 || v->get_int64() == 1)) return v->get_int64() == 1;
  if (v->is_uint64() && (v->get_uint64() == 0 || v->get_uint64() == 1)) return v->get_uint64() == 1;
  type_error(name, "a boolean", *v);
}

const json::array& Params::get_array(std::size_t i, std::string_view name) const {
  const json::value* v = get(i, name);
  if (v == nullptr) throw RpcError(kInvalidParams, "missing required parameter " + quoted(name));
  if (!v->is_array()) type_error(name, "an array", *v);
  return v->get_array();
}

// --- MethodTable --------------------------------------------------------------------------

std::string Method::usage() const {
  std::string u = name;
  for (const auto& p : params) u += p.required ? " " + p.name : " [" + p.name + "]";
  return u;
}

void MethodTable::add(Method method) {
  if (methods.contains(method.name)) throw std::logic_error("duplicate RPC method " + method.name);
  std::string name = method.name;
  methods.emplace(std::move(name), std::move(method));
}

const Method* MethodTable::find(std::string_view name) const {
  auto it = methods.find(name);
  return it == methods.end() ? nullptr : &it->second;
}

// --- dispatch -----------------------------------------------------------------------------

json::object error_object(int code, std::string_view message) {
  json::object e;
  e["code"] = code;
  e["message"] = message;
  return e;
}

namespace {

json::object make_response(const json::value& id) {
  json::object r;
  r["jsonrpc"] = "2.0";
  r["id"] = id;
  return r;
}

json::object error_response(const json::value& id, int code, std::string_view message,
                            const std::optional<json::value>& data = std::nullopt) {
  json::object r = make_response(id);
  json::object e = error_object(code, message);
  if (data) e["data"] = *data;
  r["error"] = std::move(e);
  return r;
}

bool valid_id(const json::value& id) {
  return id.is_string() || id.is_number() || id.is_null();
}

// Checks the call's parameters against the method's declaration.
void check_params(const Method& m, const json::value* params) {
  if (params != nullptr && params->is_array()) {
    const auto& a = params->get_array();
    if (a.size() > m.params.size())
      throw RpcError(kInvalidParams, m.name + " takes at most " + std::to_string(m.params.size()) +
                                         " parameters, got " + std::to_string(a.size()) + " (usage: " + m.usage() +
                                         ")");
  } else if (params != nullptr && params->is_object()) {
    for (const auto& kv : params->get_object()) {
      const bool known = std::any_of(m.params.begin(), m.params.end(),
                                     [&](const ParamSpec& p) { return p.name == std::string_view(kv.key()); });
      if (!known)
        throw RpcError(kInvalidParams,
                       "unknown named parameter " + quoted(kv.key()) + " (usage: " + m.usage() + ")");
    }
  }
  const Params p(params);
  for (std::size_t i = 0; i < m.params.size(); ++i)
    if (m.params[i].required && !p.has(i, m.params[i].name))
      throw RpcError(kInvalidParams,
                     "missing required parameter " + quoted(m.params[i].name) + " (usage: " + m.usage() + ")");
}

// One request object; nullopt when nothing is to be answered (a valid notification).
std::optional<json::object> dispatch_one(const json::value& request, const MethodTable& table, RequestContext& ctx) {
  static const json::value kNull;
  const json::object* req = request.if_object();
  if (req == nullptr) return error_response(kNull, kInvalidRequest, "Invalid Request: not a JSON object");

  const json::value* id = req->if_contains("id");
  if (id != nullptr && !valid_id(*id))
    return error_response(kNull, kInvalidRequest, "Invalid Request: id must be a string, a number or null");
  const json::value& reply_id = id != nullptr ? *id : kNull;
  const bool notification = id == nullptr;

  const json::value* version = req->if_contains("jsonrpc");
  if (version == nullptr || !version->is_string() || version->get_string() != "2.0")
    return error_response(reply_id, kInvalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
  const json::value* method_name = req->if_contains("method");
  if (method_name == nullptr || !method_name->is_string())
    return error_response(reply_id, kInvalidRequest, "Invalid Request: \"method\" must be a string");
  const json::value* params = req->if_contains("params");
  if (params != nullptr && !params->is_array() && !params->is_object())
    return error_response(reply_id, kInvalidRequest, "Invalid Request: \"params\" must be an array or an object");

  const std::string_view name(method_name->get_string().data(), method_name->get_string().size());
  const Method* method = table.find(name);
  const auto start = std::chrono::steady_clock::now();
  std::optional<json::object> response;
  int code = 0;
  try {
    if (method == nullptr) throw RpcError(kMethodNotFound, "Method not found: " + std::string(name));
    check_params(*method, params);
    json::value result = method->handler(Params(params), ctx);
    response = make_response(reply_id);
    (*response)["result"] = std::move(result);
  } catch (const RpcError& e) {
    code = e.code;
    response = error_response(reply_id, e.code, e.message, e.data);
  } catch (const std::exception& e) {
    code = kInternalError;
    response = error_response(reply_id, kInternalError, std::string("Internal error: ") + e.what());
  } catch (...) {
    code = kInternalError;
    response = error_response(reply_id, kInternalError, "Internal error");
  }
  if (ctx.observe) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    try {
      ctx.observe(method != nullptr ? std::string_view(method->name) : std::string_view("unknown"), seconds, code);
    } catch (...) {
      // Metrics must never turn an answer into a failure.
    }
  }
  if (notification) return std::nullopt;
  return response;
}

}  // namespace

std::string handle_body(std::string_view body, const MethodTable& table, RequestContext& ctx) {
  ctx.methods = &table;
  static const json::value kNull;
  json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  json::value request = json::parse(json::string_view(body.data(), body.size()), ec, json::storage_ptr(), options);
  if (ec) return json::serialize(error_response(kNull, kParseError, "Parse error: " + ec.message()));

  if (const json::array* batch = request.if_array()) {
    if (batch->empty()) return json::serialize(error_response(kNull, kInvalidRequest, "Invalid Request: empty batch"));
    if (batch->size() > ctx.max_batch)
      return json::serialize(error_response(
          kNull, kInvalidRequest, "Invalid Request: batch too large (at most " + std::to_string(ctx.max_batch) + ")"));
    json::array responses;
    for (const json::value& one : *batch)
      if (auto r = dispatch_one(one, table, ctx)) responses.emplace_back(std::move(*r));
    if (responses.empty()) return {};
    return json::serialize(responses);
  }
  auto r = dispatch_one(request, table, ctx);
  return r ? json::serialize(*r) : std::string();
}

}  // namespace tally::rpc
