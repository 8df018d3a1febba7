// JSON-RPC 2.0 dispatch: request validation, batches, notifications, parameter checks.
#include "rpc/json_rpc.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <variant>

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
  if (method.waits && !method.name.starts_with(kWaitingMethodPrefix))
    throw std::logic_error("waiting RPC method " + method.name + " must be named " + std::string(kWaitingMethodPrefix) + "...");
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

// A number beyond a double's range reads as infinity (1e999) or NaN (0e999), which no JSON
// text can carry back: echoed, it would make the answer unreadable, so it is no valid id.
bool valid_id(const json::value& id) {
  return id.is_string() || (id.is_number() && (!id.is_double() || std::isfinite(id.get_double()))) || id.is_null();
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

// A request object that passed the envelope checks (id, version, method name, params shape).
struct Call {
  const json::value* id = nullptr;  // the reply's id (JSON null for a notification)
  bool notification = false;
  std::string_view name;
  const Method* method = nullptr;  // null: not in the table
  const json::value* params = nullptr;
};

// Checks a request's envelope: the call it asks for, or the error response that answers it.
std::variant<Call, json::object> parse_call(const json::value& request, const MethodTable& table) {
  static const json::value kNull;
  const json::object* req = request.if_object();
  if (req == nullptr) return error_response(kNull, kInvalidRequest, "Invalid Request: not a JSON object");

  const json::value* id = req->if_contains("id");
  if (id != nullptr && !valid_id(*id))
    return error_response(kNull, kInvalidRequest, "Invalid Request: id must be a string, a number or null");
  Call call;
  call.id = id != nullptr ? id : &kNull;
  call.notification = id == nullptr;

  const json::value* version = req->if_contains("jsonrpc");
  if (version == nullptr || !version->is_string() || version->get_string() != "2.0")
    return error_response(*call.id, kInvalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
  const json::value* method_name = req->if_contains("method");
  if (method_name == nullptr || !method_name->is_string())
    return error_response(*call.id, kInvalidRequest, "Invalid Request: \"method\" must be a string");
  call.params = req->if_contains("params");
  if (call.params != nullptr && !call.params->is_array() && !call.params->is_object())
    return error_response(*call.id, kInvalidRequest, "Invalid Request: \"params\" must be an array or an object");

  call.name = std::string_view(method_name->get_string().data(), method_name->get_string().size());
  call.method = table.find(call.name);
  return call;
}

// Runs `fn` as a call's handler would run: RpcError and other exceptions become outcomes.
template <typename Fn>
CallOutcome guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const RpcError& e) {
    return std::unexpected(e);
  } catch (const std::exception& e) {
    return std::unexpected(RpcError(kInternalError, std::string("Internal error: ") + e.what()));
  } catch (...) {
    return std::unexpected(RpcError(kInternalError, "Internal error"));
  }
}

// What a call is answered (nullopt for a notification), and the metrics observation.
std::optional<json::object> respond(const Call& call, CallOutcome outcome, double seconds, RequestContext& ctx) {
  if (ctx.observe) {
    try {
      ctx.observe(call.method != nullptr ? std::string_view(call.method->name) : std::string_view("unknown"), seconds,
                  outcome ? 0 : outcome.error().code);
    } catch (...) {
      // Metrics must never turn an answer into a failure.
    }
  }
  if (call.notification) return std::nullopt;
  if (!outcome) return error_response(*call.id, outcome.error().code, outcome.error().message, outcome.error().data);
  json::object response = make_response(*call.id);
  response["result"] = std::move(*outcome);
  return response;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One call on its own.
std::optional<json::object> run_one(const Call& call, RequestContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  CallOutcome outcome = guarded([&]() -> CallOutcome {
    if (call.method == nullptr) throw RpcError(kMethodNotFound, "Method not found: " + std::string(call.name));
    check_params(*call.method, call.params);
    return call.method->handler(Params(call.params), ctx);
  });
  return respond(call, std::move(outcome), seconds_since(start), ctx);
}

// A run of calls of one method with a run handler; calls whose parameters do not fit the
// method are answered with their error and left out of the run. Each call's metrics get
// its share of the run's time.
void run_together(std::span<const Call> calls, RequestContext& ctx, json::array& responses) {
  const auto start = std::chrono::steady_clock::now();
  const Method& method = *calls.front().method;
  std::vector<CallOutcome> outcomes(calls.size(), CallOutcome(json::value()));
  std::vector<Params> params;
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    outcomes[i] = guarded([&]() -> CallOutcome {
      check_params(method, calls[i].params);
      return json::value();
    });
    if (!outcomes[i]) continue;
    params.emplace_back(calls[i].params);
    positions.push_back(i);
  }
  if (!params.empty()) {
    std::vector<CallOutcome> answered;
    const CallOutcome failure = guarded([&]() -> CallOutcome {
      answered = method.run_handler(params, ctx);
      if (answered.size() != params.size()) throw std::logic_error(method.name + ": run handler answered too few calls");
      return json::value();
    });
    for (std::size_t k = 0; k < positions.size(); ++k)
      outcomes[positions[k]] = failure ? std::move(answered[k]) : failure;
  }
  const double share = seconds_since(start) / static_cast<double>(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i)
    if (auto r = respond(calls[i], std::move(outcomes[i]), share, ctx)) responses.emplace_back(std::move(*r));
}

}  // namespace

json::value parse_request(std::string_view body, boost::system::error_code& ec) {
  json::parse_options options;
  options.max_depth = kMaxRequestDepth;
  return json::parse(json::string_view(body.data(), body.size()), ec, json::storage_ptr(), options);
}

std::string handle_body(std::string_view body, const MethodTable& table, RequestContext& ctx) {
  ctx.methods = &table;
  static const json::value kNull;
  boost::system::error_code ec;
  json::value request = parse_request(body, ec);
  if (ec) return json::serialize(error_response(kNull, kParseError, "Parse error: " + ec.message()));

  if (const json::array* batch = request.if_array()) {
    if (batch->empty()) return json::serialize(error_response(kNull, kInvalidRequest, "Invalid Request: empty batch"));
    if (batch->size() > ctx.max_batch)
      return json::serialize(error_response(
          kNull, kInvalidRequest, "Invalid Request: batch too large (at most " + std::to_string(ctx.max_batch) + ")"));
    json::array responses;
    std::vector<Call> run;  // consecutive calls of one method that has a run handler
    auto flush_run = [&] {
      if (!run.empty()) run_together(run, ctx, responses);
      run.clear();
    };
    for (const json::value& one : *batch) {
      std::variant<Call, json::object> parsed = parse_call(one, table);
      if (auto* error = std::get_if<json::object>(&parsed)) {
        flush_run();
        responses.emplace_back(std::move(*error));
        continue;
      }
      const Call& call = std::get<Call>(parsed);
      if (call.method != nullptr && call.method->run_handler) {
        if (!run.empty() && run.front().method != call.method) flush_run();
        run.push_back(call);
        continue;
      }
      flush_run();
      if (auto r = run_one(call, ctx)) responses.emplace_back(std::move(*r));
    }
    flush_run();
    if (responses.empty()) return {};
    return json::serialize(responses);
  }
  std::variant<Call, json::object> parsed = parse_call(request, table);
  if (auto* error = std::get_if<json::object>(&parsed)) return json::serialize(*error);
  auto r = run_one(std::get<Call>(parsed), ctx);
  return r ? json::serialize(*r) : std::string();
}

}  // namespace tally::rpc
