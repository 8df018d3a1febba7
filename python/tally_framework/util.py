"""Polling helpers shared by tests: wait for a condition, for nodes to agree on a tip or a
mempool. They poll (never a fixed sleep) and fail with a message naming what differed."""

import time


class TimeoutError_(AssertionError):
    """A wait_until that ran out of time (an AssertionError: the test fails)."""


# Multiplies every default timeout (--timeout-factor; slow machines, sanitizers).
TIMEOUT_FACTOR = 1.0


def wait_until(predicate, timeout=60.0, interval=0.05, message=None):
    """Calls predicate() until it returns a true value, which is returned. Raises an
    AssertionError after `timeout` seconds (times TIMEOUT_FACTOR). Exceptions from the
    predicate propagate: a node that died is a failure, not something to wait out."""
    deadline = time.monotonic() + timeout * TIMEOUT_FACTOR
    delay = min(interval, 0.01)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            what = message() if callable(message) else (message or getattr(predicate, "__name__", "condition"))
            raise TimeoutError_("wait_until timed out after %.0f s: %s" % (timeout * TIMEOUT_FACTOR, what))
        time.sleep(delay)
        delay = min(delay * 2, interval)


def sync_blocks(nodes, timeout=60.0):
    """Waits until every node has the same best block hash; returns it."""
    state = {}

    def same_tip():
        state["tips"] = [n.rpc.getbestblockhash() for n in nodes]
        return len(set(state["tips"])) == 1

    wait_until(same_tip, timeout,
               message=lambda: "tips differ: " + ", ".join("%s=%s" % (n.name, t[:16])
                                                           for n, t in zip(nodes, state.get("tips", []))))
    return state["tips"][0]


def sync_mempools(nodes, timeout=60.0):
    """Waits until every node's mempool holds the same txids; returns them (a set)."""
    state = {}

    def same_pool():
        state["pools"] = [set(n.rpc.getrawmempool()) for n in nodes]
        return all(p == state["pools"][0] for p in state["pools"])

    wait_until(same_pool, timeout,
               message=lambda: "mempools differ: " + ", ".join("%s=%d txs" % (n.name, len(p))
                                                               for n, p in zip(nodes, state.get("pools", []))))
    return state["pools"][0]


def assert_equal(a, b, *more):
    items = (a, b) + more
    if any(x != a for x in items):
        raise AssertionError("not equal: " + " != ".join(repr(x) for x in items))


def assert_raises_rpc_error(code, message_part, fn, *args, **kwargs):
    """fn(*args) must raise JSONRPCException with this code (None: any) and a message
    containing message_part (None: any). Returns the exception."""
    from .rpc import JSONRPCException
    try:
        fn(*args, **kwargs)
    except JSONRPCException as e:
        if code is not None and e.code != code:
            raise AssertionError("expected RPC error code %s, got %s (%s)" % (code, e.code, e.message))
        if message_part is not None and message_part not in (e.message or ""):
            raise AssertionError("expected %r in the RPC error message, got %r" % (message_part, e.message))
        return e
    raise AssertionError("no RPC error raised")
