"""A JSON-RPC 2.0 client for tallyd (docs/RPC.md): HTTP/1.1 keep-alive, HTTP Basic with the
cookie (<datadir>/.cookie, "user:password") or a user and password, batches, and errors
raised as JSONRPCException carrying the RPC code, message and data.

    rpc = RPCClient("127.0.0.1", port, cookie_file=datadir / ".cookie")
    rpc.getblockcount()                      # positional params
    rpc.getblock(blockhash=h, verbosity=2)   # named params
    rpc.call("generate", [3])
    rpc.batch([("getblockcount", []), ("getblockhash", [0])])

Thread-safety: one client per thread (it holds one HTTP connection).
"""

import base64
import http.client
import itertools
import json
import os


class JSONRPCException(Exception):
    """An error object from the node (code, message, data), or a transport failure
    (code None: HTTP status other than 200/204, connection refused, bad JSON)."""

    def __init__(self, code, message, data=None, http_status=None):
        super().__init__("%s (code %s)" % (message, code))
        self.code = code
        self.message = message
        self.data = data
        self.http_status = http_status

    @property
    def error(self):
        return {"code": self.code, "message": self.message, "data": self.data}


def read_cookie(path) -> tuple:
    """(user, password) from a cookie file "user:password"."""
    with open(path, encoding="ascii") as f:
        text = f.read().strip()
    user, sep, password = text.partition(":")
    if not sep:
        raise ValueError("cookie %s is not user:password" % path)
    return user, password


class RPCClient:
    def __init__(self, host="127.0.0.1", port=17078, user=None, password=None, cookie_file=None, timeout=60.0):
        if cookie_file is not None and user is None:
            user, password = read_cookie(cookie_file)
        self.host = host
        self.port = port
        self.timeout = timeout
        self._auth = None
        if user is not None:
            self._auth = "Basic " + base64.b64encode(("%s:%s" % (user, password or "")).encode()).decode()
        self._ids = itertools.count(1)
        self._conn = None

    # --- transport ---

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def close(self):
        if self.__dict__.get("_conn") is not None:
            self._conn.close()
            self._conn = None

    def _post(self, body: bytes):
        headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
        if self._auth:
            headers["Authorization"] = self._auth
        # One retry on a fresh connection: the node closes idle keep-alive connections (30 s).
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request("POST", "/", body=body, headers=headers)
                resp = self._conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, data
            except (http.client.RemoteDisconnected, http.client.BadStatusLine, BrokenPipeError,
                    ConnectionResetError) as e:
                self.close()
                if attempt == 1:
                    raise JSONRPCException(None, "connection to %s:%d failed: %s" % (self.host, self.port, e))
            except OSError as e:
                self.close()
                raise JSONRPCException(None, "connection to %s:%d failed: %s" % (self.host, self.port, e))

    def _send(self, payload):
        status, data = self._post(json.dumps(payload).encode())
        if status == 204:
            return None
        if status != 200:
            raise JSONRPCException(None, "HTTP %d: %s" % (status, data[:200].decode(errors="replace")),
                                   http_status=status)
        try:
            return json.loads(data)
        except ValueError:
            raise JSONRPCException(None, "response is not JSON: %r" % data[:200], http_status=status)

    # --- calls ---

    @staticmethod
    def _raise_if_error(response):
        err = response.get("error")
        if err is not None:
            raise JSONRPCException(err.get("code"), err.get("message"), err.get("data"))
        return response.get("result")

    def call(self, method, params=None):
        """One call; params a list (positional) or dict (named). Raises JSONRPCException."""
        request = {"jsonrpc": "2.0", "id": next(self._ids), "method": method}
        if params is not None:
            request["params"] = params
        response = self._send(request)
        if not isinstance(response, dict):
            raise JSONRPCException(None, "unexpected response %r" % (response,))
        return self._raise_if_error(response)

    def batch(self, calls, raise_errors=False):
        """calls: (method, params) pairs. Returns a list in the same order holding each
        result, or a JSONRPCException for each call that failed (raised at once with
        raise_errors)."""
        requests = []
        for method, params in calls:
            r = {"jsonrpc": "2.0", "id": next(self._ids), "method": method}
            if params is not None:
                r["params"] = params
            requests.append(r)
        response = self._send(requests)
        if isinstance(response, dict):  # a single error object: empty or oversized batch
            self._raise_if_error(response)
            raise JSONRPCException(None, "unexpected response %r" % (response,))
        by_id = {r.get("id"): r for r in response}
        out = []
        for r in requests:
            got = by_id.get(r["id"])
            if got is None:
                out.append(JSONRPCException(None, "no answer for call %s" % r["method"]))
                continue
            try:
                out.append(self._raise_if_error(got))
            except JSONRPCException as e:
                if raise_errors:
                    raise
                out.append(e)
        return out

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)

        def method(*args, **kwargs):
            if args and kwargs:
                raise TypeError("use positional or named parameters, not both")
            return self.call(name, dict(kwargs) if kwargs else list(args))

        method.__name__ = name
        return method


def cookie_client(datadir, port, timeout=60.0, host="127.0.0.1"):
    return RPCClient(host, port, cookie_file=os.path.join(str(datadir), ".cookie"), timeout=timeout)
