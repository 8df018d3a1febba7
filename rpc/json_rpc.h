// JSON-RPC 2.0 dispatch (https://www.jsonrpc.org/specification) as a pure function of the
// request body: single requests, batches and notifications, the protocol's error objects,
// and a table of named methods whose handlers see their parameters through Params.
//
// Handlers return a boost::json::value or throw RpcError; any other exception becomes an
// internal error (-32603) for that call only. Error codes follow Bitcoin Core where it has
// one (see ErrorCode and docs/RPC.md).
//
// Thread-safety: handle_body() and a const MethodTable may be used from many threads at
// once; each call has its own RequestContext. Handlers must be thread-safe themselves.
#pragma once

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tally::rpc {

class NodeApi;

enum ErrorCode : int {
  // JSON-RPC 2.0
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  // Application codes, as Bitcoin Core numbers them
  kMiscError = -1,
  kClientNotConnected = -9,      // the node is shutting down
  kInvalidAddressOrKey = -5,     // bad address, unknown block or transaction
  kInvalidParameter = -8,        // a parameter has the right type but a bad value
  kDeserializationError = -22,   // hex or binary encoding could not be decoded
  kNodeAlreadyAdded = -23,       // setban add: already banned
  kVerifyError = -25,            // a block or transaction failed validation
  kVerifyRejected = -26,         // the mempool refused the transaction (reason code in data)
  kVerifyAlreadyInChain = -27,   // the transaction is already in the active chain
  kNodeNotConnected = -29,       // disconnectnode: no such peer
  kInvalidIpOrSubnet = -30,      // setban: bad IP, or unban of an address that is not banned
};

// Thrown by handlers; becomes the response's error object.
struct RpcError : std::exception {
  RpcError(int c, std::string m, std::optional<boost::json::value> d = std::nullopt)
      : code(c), message(std::move(m)), data(std::move(d)) {}
  const char* what() const noexcept override { return message.c_str(); }

  int code;
  std::string message;
  std::optional<boost::json::value> data;  // optional "data" member of the error object
};

// A method's parameter: its name (for named calls and messages) and whether it may be left out.
struct ParamSpec {
  std::string name;
  bool required = true;
};

// The parameters of one call: positional (a JSON array) or named (a JSON object whose keys
// are the method's declared parameter names). The dispatcher has already checked the count
// and the names against the method's ParamSpecs.
class Params {
 public:
  Params() = default;
  // `params` is an array, an object or nullptr (no "params" member). Not owned: it must
  // outlive this object.
  explicit Params(const boost::json::value* params) : params_(params) {}

  // The i-th positional parameter, or the member `name` of a named call; nullptr when it is
  // absent or JSON null (both mean "use the default").
  const boost::json::value* get(std::size_t i, std::string_view name) const;
  bool has(std::size_t i, std::string_view name) const { return get(i, name) != nullptr; }

  // Typed access. A missing required parameter or a wrong JSON type is -32602; a value of the
  // right type outside [min, max] is -8. Integers must be JSON integers (no fraction, no
  // exponent that made Boost.JSON store a double).
  std::string_view get_string(std::size_t i, std::string_view name) const;
  std::optional<std::string_view> get_opt_string(std::size_t i, std::string_view name) const;
  std::int64_t get_int(std::size_t i, std::string_view name, std::int64_t min, std::int64_t max) const;
  std::optional<std::int64_t> get_opt_int(std::size_t i, std::string_view name, std::int64_t min,
                                          std::int64_t max) const;
  // A JSON bool; 0 and 1 are accepted too (Bitcoin Core clients send verbose flags as numbers).
  bool get_bool(std::size_t i, std::string_view name) const;
  std::optional<bool> get_opt_bool(std::size_t i, std::string_view name) const;
  const boost::json::array& get_array(std::size_t i, std::string_view name) const;

 private:
  const boost::json::value* params_ = nullptr;
};

struct MethodTable;

// Per-request state passed to every handler of one HTTP request (all calls of a batch).
struct RequestContext {
  NodeApi* node = nullptr;  // the node the handlers act on; null in dispatch-only tests
  std::string user;         // the authenticated user name
  std::string remote;       // the client's endpoint, for logs
  // Largest batch accepted; a longer one is answered with a single -32600 error.
  std::size_t max_batch = 1000;
  // Called after each dispatched call (methods found or not) with the method name (or
  // "unknown" for one that is not in the table, to keep label values bounded), the time it
  // took and the error code it ended with (0 for success). May be empty.
  std::function<void(std::string_view method, double seconds, int error_code)> observe;
  // The table being dispatched; set by handle_body for handlers such as "help".
  const MethodTable* methods = nullptr;
};

using Handler = std::function<boost::json::value(const Params&, RequestContext&)>;

// What one call of a run answered: its result, or the error it ends with.
using CallOutcome = std::expected<boost::json::value, RpcError>;
// Answers a run of consecutive calls of one method in a batch, in order: one outcome per
// call. For methods whose calls gain from being handled together (their independent work
// done in parallel, one trip to the node's core for all), with the same effect as calling
// the method's handler once per call in that order. It answers each call's own errors in
// that call's outcome; an exception it lets out fails every call of the run.
using RunHandler = std::function<std::vector<CallOutcome>(std::span<const Params>, RequestContext&)>;

struct Method {
  std::string name;
  std::string category;     // "chain", "mempool", "network", "mining", "control"
  std::vector<ParamSpec> params;
  std::string summary;      // one line, shown by help
  Handler handler;
  // Optional: consecutive calls of this method in a batch go to run_handler together (the
  // calls before and after them in the batch run before and after, as always).
  RunHandler run_handler = {};
  // True for a call that holds its thread while it waits for an event (waitfornewblock): the
  // server runs requests that name one on a pool of their own, so waits never take the
  // threads other calls need.
  bool waits = false;
  // "getblock blockhash [verbosity]"
  std::string usage() const;
};

// The deepest nesting a request body may have (Boost.JSON's parse_options::max_depth).
inline constexpr std::size_t kMaxRequestDepth = 64;

// Parses a request body as the dispatcher does (at most kMaxRequestDepth deep); everything
// that looks into a body before dispatch (HttpRouter) uses it, so it reads the same JSON.
boost::json::value parse_request(std::string_view body, boost::system::error_code& ec);

// Every waiting method's name starts with this (HttpRouter::is_waiting relies on it).
inline constexpr std::string_view kWaitingMethodPrefix = "waitfor";

// The methods a server offers, by name. Build it once, then share it read-only.
struct MethodTable {
  // REQUIRES: no method of that name yet, and a waiting method's name starts with
  // kWaitingMethodPrefix (throws std::logic_error otherwise).
  void add(Method method);
  const Method* find(std::string_view name) const;
  std::size_t size() const { return methods.size(); }

  std::map<std::string, Method, std::less<>> methods;  // sorted by name: help lists them in order
};

// Answers one HTTP request body. Returns the response body, or an empty string when nothing
// must be answered (a notification, or a batch of notifications only: HTTP 204).
std::string handle_body(std::string_view body, const MethodTable& table, RequestContext& ctx);

// One error object {"code":..,"message":..} as the dispatcher writes it.
boost::json::object error_object(int code, std::string_view message);

}  // namespace tally::rpc
