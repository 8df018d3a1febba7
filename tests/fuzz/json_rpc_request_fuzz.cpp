// Fuzz target: rpc::handle_body, the JSON-RPC 2.0 dispatcher, on arbitrary request bodies
// (single requests, batches, notifications), with a small table of trivial methods whose
// handlers read their parameters through every typed Params accessor.
// Invariants: never crashes and no exception escapes (handlers' errors are answers); the
// answer is empty or valid JSON; text that is not JSON (depth limit 64) is answered with one
// -32700 error; every response object is {"jsonrpc":"2.0","id":..} with exactly one of
// "result" and "error" (an integer code and a string message); a batch is answered in order,
// one response per element except valid notifications, each with the element's id (null when
// the id or the element is invalid); each dispatched call is observed once; a typed integer
// parameter that is accepted lies within its bounds.
#include <boost/json.hpp>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "rpc/json_rpc.h"

using namespace tally;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBatch = 40;

// A number the parser read as infinity (1e999) or NaN (0e999): no JSON text can carry it
// back, so it is no valid id, and `echo` (which returns its parameters) refuses it as a real
// handler would refuse an out-of-range number.
bool holds_non_finite(const json::value& v) {
  if (v.is_double()) return !std::isfinite(v.get_double());
  if (const auto* a = v.if_array())
    for (const auto& e : *a)
      if (holds_non_finite(e)) return true;
  if (const auto* o = v.if_object())
    for (const auto& kv : *o)
      if (holds_non_finite(kv.value())) return true;
  return false;
}

// Reads every parameter the way real handlers do; returns what it read.
json::value typed(const rpc::Params& p, rpc::RequestContext&) {
  json::object out;
  if (auto s = p.get_opt_string(0, "text")) out["text"] = *s;
  if (auto i = p.get_opt_int(1, "count", -1000, 1'000'000)) {
    FUZZ_CHECK(*i >= -1000 && *i <= 1'000'000);
    out["count"] = *i;
  }
  if (auto b = p.get_opt_bool(2, "verbose")) out["verbose"] = *b;
  if (p.has(3, "list")) out["list"] = p.get_array(3, "list");
  if (auto big = p.get_opt_int(4, "big", INT64_MIN, INT64_MAX)) out["big"] = *big;
  return out;
}

const rpc::MethodTable& table() {
  static const rpc::MethodTable t = [] {
    rpc::MethodTable m;
    m.add({"echo", "control", {{"value", true}, {"extra", false}}, "returns its parameters",
           [](const rpc::Params& p, rpc::RequestContext&) {
             json::array out;
             for (std::size_t i = 0; i < 2; ++i) {
               const json::value* v = p.get(i, i == 0 ? "value" : "extra");
               if (v && holds_non_finite(*v)) throw rpc::RpcError(rpc::kInvalidParameter, "number out of range");
               out.push_back(v ? *v : json::value());
             }
             return json::value(std::move(out));
           }});
    m.add({"typed", "control",
           {{"text", false}, {"count", false}, {"verbose", false}, {"list", false}, {"big", false}},
           "reads typed parameters", typed});
    m.add({"need", "control", {{"height", true}, {"name", true}}, "two required parameters",
           [](const rpc::Params& p, rpc::RequestContext&) {
             const std::int64_t h = p.get_int(0, "height", 0, 100);
             FUZZ_CHECK(h >= 0 && h <= 100);
             return json::value(std::string(p.get_string(1, "name")) + "@" + std::to_string(h));
           }});
    m.add({"boom", "control", {}, "throws a non-RPC exception",
           [](const rpc::Params&, rpc::RequestContext&) -> json::value { throw std::runtime_error("boom"); }});
    m.add({"help", "control", {{"command", false}}, "lists the methods",
           [](const rpc::Params& p, rpc::RequestContext& ctx) {
             FUZZ_CHECK(ctx.methods != nullptr);
             if (auto c = p.get_opt_string(0, "command")) {
               const rpc::Method* method = ctx.methods->find(*c);
               if (method == nullptr) throw rpc::RpcError(rpc::kMiscError, "help: unknown command");
               return json::value(method->usage());
             }
             return json::value(ctx.methods->size());
           }});
    // A method answered in runs (as sendrawtransaction is): odd counts fail their own call.
    rpc::Method run{"batched", "mempool", {{"count", true}}, "answered in runs",
                    [](const rpc::Params& p, rpc::RequestContext&) { return json::value(p.get_int(0, "count", 0, 1000)); }};
    run.run_handler = [](std::span<const rpc::Params> calls, rpc::RequestContext&) {
      std::vector<rpc::CallOutcome> out;
      for (const auto& p : calls) {
        out.push_back([&]() -> rpc::CallOutcome {
          try {
            const std::int64_t n = p.get_int(0, "count", 0, 1000);
            if (n % 2 == 1) return std::unexpected(rpc::RpcError(rpc::kVerifyRejected, "odd", json::value(n)));
            return json::value(n);
          } catch (const rpc::RpcError& e) {
            return std::unexpected(e);
          }
        }());
      }
      // A run of exactly 7 calls fails as a whole (the dispatcher answers each call).
      if (calls.size() == 7) throw std::runtime_error("run of seven");
      return out;
    };
    m.add(std::move(run));
    return m;
  }();
  return t;
}

bool valid_id(const json::value& id) { return id.is_string() || (id.is_number() && !holds_non_finite(id)) || id.is_null(); }

// Ids compared after a serialize/parse round trip: Boost.JSON's default number parsing is
// not correctly rounded, so a double may come back one unit in the last place apart.
bool same_id(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-12 * std::max(std::fabs(x), std::fabs(y));
  }
  return a == b;
}

// What the dispatcher must answer for one element: nothing (a valid notification) or a
// response carrying `id`.
struct Expected {
  bool answered = true;
  json::value id;  // null unless the element has a valid id
};

Expected expected_for(const json::value& element) {
  Expected e;
  const json::object* o = element.if_object();
  if (o == nullptr) return e;
  const json::value* id = o->if_contains("id");
  if (id != nullptr) {
    if (valid_id(*id)) e.id = *id;
    return e;
  }
  const json::value* version = o->if_contains("jsonrpc");
  const json::value* method = o->if_contains("method");
  const json::value* params = o->if_contains("params");
  const bool envelope_ok = version != nullptr && version->is_string() && version->get_string() == "2.0" &&
                           method != nullptr && method->is_string() &&
                           (params == nullptr || params->is_array() || params->is_object());
  e.answered = !envelope_ok;
  return e;
}

// Whether an element reaches a handler (and so the observer).
bool dispatched(const json::value& element) {
  const json::object* o = element.if_object();
  if (o == nullptr) return false;
  if (const json::value* id = o->if_contains("id"); id != nullptr && !valid_id(*id)) return false;
  const json::value* version = o->if_contains("jsonrpc");
  const json::value* method = o->if_contains("method");
  const json::value* params = o->if_contains("params");
  return version != nullptr && version->is_string() && version->get_string() == "2.0" && method != nullptr &&
         method->is_string() && (params == nullptr || params->is_array() || params->is_object());
}

void check_response(const json::value& r, const json::value& id) {
  const json::object* o = r.if_object();
  FUZZ_CHECK(o != nullptr);
  const json::value* version = o->if_contains("jsonrpc");
  FUZZ_CHECK(version != nullptr && version->is_string() && version->get_string() == "2.0");
  const json::value* got_id = o->if_contains("id");
  FUZZ_CHECK(got_id != nullptr && same_id(*got_id, id));
  const bool has_result = o->contains("result");
  const json::value* error = o->if_contains("error");
  FUZZ_CHECK(has_result != (error != nullptr));
  FUZZ_CHECK(o->size() == 3);
  if (error != nullptr) {
    const json::object* e = error->if_object();
    FUZZ_CHECK(e != nullptr);
    const json::value* code = e->if_contains("code");
    const json::value* message = e->if_contains("message");
    FUZZ_CHECK(code != nullptr && code->is_int64() && code->get_int64() != 0);
    FUZZ_CHECK(message != nullptr && message->is_string());
  }
}

// The single error a whole body is answered with (parse error, empty or oversized batch).
std::int64_t single_error_code(const json::value& response) {
  check_response(response, json::value());
  const json::value* error = response.get_object().if_contains("error");
  FUZZ_CHECK(error != nullptr);
  return error->get_object().at("code").get_int64();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::size_t observed = 0;
  rpc::RequestContext ctx;
  ctx.max_batch = kMaxBatch;
  ctx.user = "fuzz";
  ctx.observe = [&](std::string_view method, double seconds, int) {
    FUZZ_CHECK(!method.empty() && seconds >= 0);
    ++observed;
  };
  // No try/catch: an exception escaping handle_body is a bug, reported as a crash.
  const std::string answer = rpc::handle_body(body, table(), ctx);

  json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  const json::value request = json::parse(json::string_view(body.data(), body.size()), ec, {}, options);
  if (ec) {
    FUZZ_CHECK(!answer.empty());
    FUZZ_CHECK(single_error_code(json::parse(answer, ec)) == rpc::kParseError && !ec);
    FUZZ_CHECK(observed == 0);
    return 0;
  }

  // The answer echoes parameters nested up to the request's depth, and a little deeper.
  json::parse_options answer_options;
  answer_options.max_depth = 256;
  json::value response;
  if (!answer.empty()) {
    response = json::parse(answer, ec, {}, answer_options);
    FUZZ_CHECK(!ec);
  }

  if (const json::array* batch = request.if_array()) {
    if (batch->empty() || batch->size() > kMaxBatch) {
      FUZZ_CHECK(!answer.empty() && single_error_code(response) == rpc::kInvalidRequest);
      FUZZ_CHECK(observed == 0);
      return 0;
    }
    std::vector<json::value> ids;
    std::size_t calls = 0;
    for (const json::value& element : *batch) {
      const Expected e = expected_for(element);
      if (e.answered) ids.push_back(e.id);
      if (dispatched(element)) ++calls;
    }
    FUZZ_CHECK(observed == calls);
    if (ids.empty()) {
      FUZZ_CHECK(answer.empty());
      return 0;
    }
    FUZZ_CHECK(response.is_array() && response.get_array().size() == ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) check_response(response.get_array()[i], ids[i]);
    return 0;
  }

  const Expected e = expected_for(request);
  FUZZ_CHECK(observed == (dispatched(request) ? 1u : 0u));
  if (!e.answered) {
    FUZZ_CHECK(answer.empty());
    return 0;
  }
  FUZZ_CHECK(!answer.empty());
  check_response(response, e.id);
  return 0;
}
