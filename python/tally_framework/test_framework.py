"""TallyTestFramework: the base class of a functional test (after Bitcoin Core's).

A test subclasses it, sets parameters in set_test_params() and writes run_test():

    class MyTest(TallyTestFramework):
        def set_test_params(self):
            self.num_nodes = 2
        def run_test(self):
            self.network.generate(self.nodes[0], 3)

    if __name__ == "__main__":
        MyTest().main()

main() parses the command line (--tallyd, --seed, --tmpdir, --nocleanup, --timeout-factor),
prints the seed (TALLY_SEED=<n>, also read from the environment to replay a run), makes a
temporary directory, starts the nodes (setup_network(), by default a line), runs the test,
and always stops every node (RPC stop, SIGTERM, SIGKILL) and closes every P2PPeer. On
success the directory is removed; on failure it is kept, its path is printed with the tail
of each node's log, and the exit status is 1.
"""

import argparse
import atexit
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback

from . import util
from .network import TestNetwork
from .node import default_tallyd
from .p2p import P2PPeer


class SkipTest(Exception):
    pass


class Terminated(BaseException):
    """SIGTERM (ctest's timeout, a user): unwinds the test so its nodes are stopped."""


def _on_sigterm(*_):
    raise Terminated("terminated by SIGTERM (ctest timeout?)")


class TallyTestFramework:
    def __init__(self):
        self.num_nodes = 1
        self.extra_args = None  # one list of tallyd flags per node
        self.encrypt = True  # False: plaintext P2P (needed by P2PPeer)
        self.setup_clean_chain = True
        self.network = None
        self.nodes = []
        self.peers = []
        self.rng = None
        self.seed = None
        self.options = None
        self.tmpdir = None
        self._start_time = time.monotonic()

    # --- for subclasses ---

    def set_test_params(self):
        pass

    def add_options(self, parser):
        pass

    def setup_network(self):
        """Starts every node and connects them in a line. Override for another shape."""
        self.network.start_all()
        self.network.connect_line()

    def run_test(self):
        raise NotImplementedError

    # --- helpers for tests ---

    def log(self, msg):
        print("%7.2fs %s" % (time.monotonic() - self._start_time, msg), flush=True)

    def add_peer(self, node, listen_port=None, **kwargs):
        """A P2PPeer connected to node (which must run with encrypt off) with its handshake
        done. listen_port defaults to a random high number (the node bans loopback peers by
        it, so each peer gets its own); the peer is closed at the end of the test."""
        if listen_port is None:
            listen_port = self.rng.randrange(20000, 60000)
        peer = P2PPeer.for_node(node, listen_port=listen_port, **kwargs)
        self.peers.append(peer)
        peer.connect(node.p2p_port)
        peer.handshake()
        return peer

    # --- the run ---

    def parse_args(self, argv):
        parser = argparse.ArgumentParser(description=self.__class__.__doc__)
        parser.add_argument("--tallyd", default=default_tallyd(),
                            help="tallyd binary (default $TALLYD or build/release/bin/tallyd)")
        parser.add_argument("--seed", type=int, default=None,
                            help="random seed (default $TALLY_SEED or a fresh one); printed at start")
        parser.add_argument("--tmpdir", default=None, help="directory for datadirs and logs (default: a new temp dir)")
        parser.add_argument("--nocleanup", action="store_true", help="keep the directory after success too")
        parser.add_argument("--timeout-factor", type=float, default=float(os.environ.get("TALLY_TIMEOUT_FACTOR", 1)),
                            help="multiply every timeout (slow machines, sanitizers)")
        self.add_options(parser)
        return parser.parse_args(argv)

    def main(self, argv=None):
        self.options = self.parse_args(sys.argv[1:] if argv is None else argv)
        util.TIMEOUT_FACTOR = self.options.timeout_factor
        env_seed = os.environ.get("TALLY_SEED")
        self.seed = self.options.seed if self.options.seed is not None else (
            int(env_seed) if env_seed else random.SystemRandom().randrange(2**32))
        self.rng = random.Random(self.seed)
        print("TALLY_SEED=%d" % self.seed, flush=True)
        self.set_test_params()
        if self.options.tmpdir:
            os.makedirs(self.options.tmpdir, exist_ok=True)
            self.tmpdir = self.options.tmpdir
        else:
            self.tmpdir = tempfile.mkdtemp(prefix="tally_func_%s_" % self.__class__.__name__)
        self.log("tmpdir %s, tallyd %s" % (self.tmpdir, self.options.tallyd))
        # ctest's timeout and Ctrl-C: unwind through finally so every node is stopped.
        signal.signal(signal.SIGTERM, _on_sigterm)
        atexit.register(self._close_peers)
        status = 1
        try:
            if not os.access(self.options.tallyd, os.X_OK):
                util.wait_until(lambda: os.access(self.options.tallyd, os.X_OK), 60, 0.5,
                                "tallyd not found at %s (--tallyd or $TALLYD)" % self.options.tallyd)
            chain_id = 10000 + self.rng.randrange(50000)  # a fresh chain id per run
            self.network = TestNetwork(self.tmpdir, self.num_nodes, self.options.tallyd, chain_id, self.extra_args,
                                       self.encrypt, log=self.log)
            self.nodes = self.network.nodes
            self.setup_network()
            self.run_test()
            status = 0
        except SkipTest as e:
            self.log("skipped: %s" % e)
            status = 77
        except BaseException as e:  # also KeyboardInterrupt and SystemExit (SIGTERM)
            self.log("FAILED: %s" % (e,))
            traceback.print_exc()
            status = 1
        finally:
            self._close_peers()
            codes = self.network.stop_all() if self.network else {}
            bad = {k: v for k, v in codes.items() if v not in (0, None)}
            if status == 0 and bad:
                self.log("FAILED: nodes exited with %s" % bad)
                status = 1
        if status == 1:
            self._report_failure()
        elif not self.options.nocleanup and not self.options.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        self.log("%s (TALLY_SEED=%d)" % ({0: "PASSED", 77: "SKIPPED"}.get(status, "FAILED"), self.seed))
        sys.exit(status)

    def _close_peers(self):
        for p in self.peers:
            try:
                p.close()
            except Exception:
                pass

    def _report_failure(self):
        print("=" * 70, flush=True)
        print("Kept for inspection: %s" % self.tmpdir)
        print("Replay with: TALLY_SEED=%d python3 %s --tallyd %s" % (self.seed, sys.argv[0], self.options.tallyd))
        for n in self.nodes:
            print("--- %s: %s (last lines)" % (n.name, n.debug_log_path))
            print(n.tail(n.debug_log_path, 25))
            err = n.tail(n.stderr_path, 10).strip()
            if err:
                print("--- %s: %s" % (n.name, n.stderr_path))
                print(err)
        sys.stdout.flush()
