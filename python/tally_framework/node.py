"""TestNode: one tallyd process in its own datadir on ports the kernel picks.

The node is started with --port 0 --rpcport 0; once it serves, it writes node.json (pid and
ports) last, which start() waits for, as tests/e2e/process.h does. Then the cookie gives
the RPC credentials. stop() asks over RPC, then SIGTERM, then SIGKILL. A child started here
also gets SIGKILL from the kernel if the Python process dies (PR_SET_PDEATHSIG), and every
live node is killed at interpreter exit (atexit), so a failed test leaves no daemon behind.
"""

import atexit
import ctypes
import json
import os
import signal
import subprocess
import time
import weakref

from .rpc import JSONRPCException, RPCClient
from .util import TIMEOUT_FACTOR, wait_until

SOURCE_DIR = os.environ.get("TALLY_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))


def default_tallyd():
    """$TALLYD, else build/release/bin/tallyd of this source tree."""
    return os.environ.get("TALLYD") or os.path.join(SOURCE_DIR, "build", "release", "bin", "tallyd")


def fast_chain_spec(chain_id: int, name: str = "tally-pyfw") -> dict:
    """genesis/devnet.json (so the devnet keys are funded) with trivial proof of work
    (genesis_bits = pow_limit_bits = 0x207fffff), a fresh chain id and name: the spec of
    tests/e2e/process.h's fast_chain_spec_json."""
    with open(os.path.join(SOURCE_DIR, "genesis", "devnet.json")) as f:
        spec = json.load(f)
    spec["name"] = name
    spec["chain_id"] = chain_id
    spec["genesis_bits"] = "0x207fffff"
    spec["pow_limit_bits"] = "0x207fffff"
    return spec


def write_chain_spec(path, spec: dict):
    with open(path, "w") as f:
        json.dump(spec, f, indent=1)
    return path


# --- process hygiene -----------------------------------------------------------------------

_libc = None
_live_nodes = weakref.WeakSet()


def _set_pdeathsig():
    # Runs in the child between fork and exec: die with the parent.
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL("libc.so.6", use_errno=True)
        _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@atexit.register
def _kill_live_nodes():
    for node in list(_live_nodes):
        node.kill()


class TestNode:
    __test__ = False  # not a unittest/pytest class

    def __init__(self, index, dirname, tallyd=None, chain_spec_path=None, extra_args=None, encrypt=True,
                 rpc_timeout=60.0, log=print):
        self.index = index
        self.name = "node%d" % index
        self.dirname = str(dirname)
        self.datadir = os.path.join(self.dirname, self.name)
        self.tallyd = tallyd or default_tallyd()
        self.chain_spec_path = chain_spec_path
        self.extra_args = list(extra_args or [])
        self.encrypt = encrypt
        self.rpc_timeout = rpc_timeout
        self.log = log
        self.process = None
        self.rpc = None
        self.p2p_port = None
        self.rpc_port = None
        self._stdout = None
        self._stderr = None

    # --- paths ---

    @property
    def stderr_path(self):
        return os.path.join(self.dirname, self.name + ".stderr")

    @property
    def stdout_path(self):
        return os.path.join(self.dirname, self.name + ".stdout")

    @property
    def debug_log_path(self):
        return os.path.join(self.datadir, "debug.log")

    @property
    def p2p_endpoint(self):
        return "127.0.0.1:%d" % self.p2p_port

    # --- lifecycle ---

    def args(self, extra_args=None):
        argv = [self.tallyd, "--datadir", self.datadir, "--port", "0", "--rpcport", "0", "--printtoconsole", "0",
                "--name", self.name, "--encrypt", "1" if self.encrypt else "0"]
        if self.chain_spec_path:
            argv += ["--chain", str(self.chain_spec_path)]
        return argv + self.extra_args + list(extra_args or [])

    def start(self, extra_args=None, timeout=60.0):
        """Starts tallyd and waits until it answers RPC. extra_args are added for this start only."""
        if self.is_running():
            raise RuntimeError("%s is already running" % self.name)
        if not os.access(self.tallyd, os.X_OK):
            # Another engineer may be relinking it right now: give it a moment.
            wait_until(lambda: os.access(self.tallyd, os.X_OK), 60, 0.5, "%s is not executable" % self.tallyd)
        os.makedirs(self.datadir, exist_ok=True)
        info_path = os.path.join(self.datadir, "node.json")
        if os.path.exists(info_path):
            os.remove(info_path)  # left by a killed run: wait for the new one's
        self._stdout = open(self.stdout_path, "ab")
        self._stderr = open(self.stderr_path, "ab")
        argv = self.args(extra_args)
        self.log("%s: starting %s" % (self.name, " ".join(argv)))
        self.process = subprocess.Popen(argv, stdout=self._stdout, stderr=self._stderr, stdin=subprocess.DEVNULL,
                                        preexec_fn=_set_pdeathsig)
        _live_nodes.add(self)

        def started():
            if self.process.poll() is not None:
                raise RuntimeError("%s exited with code %s at start: %s" % (self.name, self.process.returncode,
                                                                            self.tail(self.stderr_path)))
            try:
                with open(info_path) as f:
                    info = json.load(f)
            except (OSError, ValueError):
                return None
            return info if info.get("pid") == self.process.pid else None

        info = wait_until(started, timeout, message="%s did not write node.json" % self.name)
        self.p2p_port = info["p2p_port"]
        self.rpc_port = info["rpc_port"]
        self.rpc = RPCClient("127.0.0.1", self.rpc_port, cookie_file=os.path.join(self.datadir, ".cookie"),
                             timeout=self.rpc_timeout * TIMEOUT_FACTOR)

        def serves():
            try:
                self.rpc.getblockcount()
                return True
            except JSONRPCException as e:
                if self.process.poll() is not None:
                    raise RuntimeError("%s exited: %s" % (self.name, e))
                return False

        wait_until(serves, timeout, message="%s does not answer RPC" % self.name)
        self.log("%s: running, pid %d, p2p %d, rpc %d" % (self.name, self.process.pid, self.p2p_port, self.rpc_port))
        return self

    def is_running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=30.0):
        """RPC stop, then SIGTERM, then SIGKILL. Returns the exit code (None if not started)."""
        if self.process is None:
            return None
        if self.is_running():
            try:
                self.rpc.stop()
            except JSONRPCException:
                pass
            try:
                self.process.wait(timeout * TIMEOUT_FACTOR)
            except subprocess.TimeoutExpired:
                self.log("%s: no exit after RPC stop, SIGTERM" % self.name)
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.log("%s: no exit after SIGTERM, SIGKILL" % self.name)
                    self.process.kill()
                    self.process.wait()
        return self._finish()

    def kill(self):
        """SIGKILL at once (crash tests; cleanup)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._finish()

    def _finish(self):
        code = self.process.returncode if self.process is not None else None
        if self.rpc is not None:
            self.rpc.close()
        for f in (self._stdout, self._stderr):
            if f is not None:
                f.close()
        self._stdout = self._stderr = None
        _live_nodes.discard(self)
        return code

    # --- conveniences ---

    def __getattr__(self, name):
        # node.getblockcount() as a shorthand for node.rpc.getblockcount().
        if name.startswith("_") or self.__dict__.get("rpc") is None:
            raise AttributeError(name)
        return getattr(self.rpc, name)

    def peers(self, established=True):
        return [p for p in self.rpc.getpeerinfo() if p.get("established") or not established]

    def outbound_endpoints(self):
        return {p["addr"] for p in self.peers() if not p.get("inbound")}

    def info(self):
        """chain_id, genesis hash (bytes) and magic, for a P2PPeer."""
        chain = self.rpc.getblockchaininfo()
        net = self.rpc.getnetworkinfo()
        magic = net["network_magic"]
        if isinstance(magic, str):
            magic = int(magic, 16)
        return {"chain_id": chain["chain_id"], "genesis": bytes.fromhex(chain["genesis"]), "magic": magic,
                "height": chain["blocks"]}

    @staticmethod
    def tail(path, lines=30):
        try:
            with open(path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no %s)" % path

    def __repr__(self):
        return "TestNode(%s, %s)" % (self.name, "running" if self.is_running() else "stopped")
