"""TestNetwork: several TestNodes on one fast chain, wired, partitioned and healed by RPC.

    net = TestNetwork(tmpdir, num_nodes=3, chain_id=7300)
    net.start_all()
    net.connect_line()               # node0 - node1 - node2 (addnode "add" over RPC)
    net.generate(net.nodes[0], 5)    # RPC generate, then wait for every node to follow
    net.partition([[0], [1, 2]])     # setnetworkpartition on both sides
    net.heal()
    net.stop_all()
"""

import os

from .node import TestNode, fast_chain_spec, write_chain_spec
from .util import sync_blocks, sync_mempools, wait_until


class TestNetwork:
    __test__ = False

    def __init__(self, dirname, num_nodes=2, tallyd=None, chain_id=7300, extra_args=None, encrypt=True, log=print):
        """extra_args: one list of tallyd flags per node (or None)."""
        self.dirname = str(dirname)
        self.log = log
        self.chain_id = chain_id
        os.makedirs(self.dirname, exist_ok=True)
        self.chain_spec = fast_chain_spec(chain_id, "tally-pyfw-%d" % chain_id)
        self.chain_spec_path = write_chain_spec(os.path.join(self.dirname, "chain.json"), self.chain_spec)
        self.tallyd = tallyd
        self.encrypt = encrypt
        self.nodes = []
        extra_args = extra_args or [[] for _ in range(num_nodes)]
        for i in range(num_nodes):
            self.add_node(extra_args[i] if i < len(extra_args) else [])
        self._partition = None

    def add_node(self, extra_args=None, encrypt=None):
        """A new (not started) node on the same chain; returns it."""
        node = TestNode(len(self.nodes), self.dirname, self.tallyd, self.chain_spec_path, extra_args,
                        self.encrypt if encrypt is None else encrypt, log=self.log)
        self.nodes.append(node)
        return node

    @property
    def address_prefix(self):
        return self.chain_spec["address_prefix"]

    # --- lifecycle ---

    def start_all(self, timeout=60.0):
        for n in self.nodes:
            if not n.is_running():
                n.start(timeout=timeout)

    def stop_all(self):
        """Stops every node; returns {name: exit code}. Never raises for one node's failure."""
        codes = {}
        for n in self.nodes:
            try:
                codes[n.name] = n.stop()
            except Exception as e:  # keep stopping the others
                self.log("%s: stop failed (%s), killing" % (n.name, e))
                n.kill()
                codes[n.name] = None
        return codes

    def kill_all(self):
        for n in self.nodes:
            n.kill()

    # --- wiring ---

    @staticmethod
    def connected(a, b):
        """True when a and b have an established connection, in either direction
        (a connection is recognised by its dialler's outbound peer address)."""
        return b.p2p_endpoint in a.outbound_endpoints() or a.p2p_endpoint in b.outbound_endpoints()

    def connect(self, a, b, timeout=60.0):
        """a keeps a connection to b (RPC addnode "add"); waits until a connection between
        them is established (in either direction: a node does not dial a peer that already
        reached it, for example after address gossip)."""
        a.rpc.addnode(b.p2p_endpoint, "add")
        wait_until(lambda: self.connected(a, b), timeout,
                   message="%s did not connect to %s" % (a.name, b.name))

    def connect_line(self):
        for a, b in zip(self.nodes, self.nodes[1:]):
            self.connect(a, b)

    def connect_all(self):
        for i, a in enumerate(self.nodes):
            for b in self.nodes[i + 1:]:
                self.connect(a, b)

    def partition(self, groups, timeout=60.0):
        """Splits the nodes into groups (lists of node indexes or nodes): each node refuses
        and drops connections to every node of the other groups (RPC setnetworkpartition).
        Waits until no connection crosses groups."""
        groups = [[self.nodes[x] if isinstance(x, int) else x for x in g] for g in groups]
        group_of = {n.name: gi for gi, g in enumerate(groups) for n in g}
        for gi, g in enumerate(groups):
            others = [n.p2p_endpoint for og in groups if og is not g for n in og]
            for n in g:
                n.rpc.setnetworkpartition(others)
        self._partition = groups

        def split():
            for n in self.nodes:
                if n.name not in group_of or not n.is_running():
                    continue
                for m in self.nodes:
                    if m.name in group_of and group_of[m.name] != group_of[n.name] and \
                            m.p2p_endpoint in n.outbound_endpoints():
                        return False
            return True

        wait_until(split, timeout, message="connections still cross the partition")

    def heal(self, timeout=60.0):
        """Lifts every partition (empty setnetworkpartition) and waits until each group has
        a connection to another again (the addnode links redial every 2 s)."""
        groups = self._partition or []
        for n in self.nodes:
            if n.is_running():
                n.rpc.setnetworkpartition([])
        self._partition = None
        if len(groups) > 1:
            def rejoined():
                for gi, g in enumerate(groups):
                    others = [m for og in groups if og is not g for m in og]
                    if not any(self.connected(a, b) for a in g for b in others):
                        return False
                return True

            wait_until(rejoined, timeout, message="groups did not reconnect after heal")

    # --- chain ---

    def generate(self, node, nblocks, sync=True, address=None, timeout=60.0):
        """Mines nblocks on `node` (RPC generate); with sync, waits until every running node
        connected to it has the same tip. Returns the block hashes."""
        hashes = node.rpc.generate(nblocks, address) if address else node.rpc.generate(nblocks)
        if sync:
            group = next((g for g in self._partition or [] if node in g), None)
            self.sync_blocks([n for n in (group or self.nodes) if n.is_running()], timeout=timeout)
        return hashes

    def sync_blocks(self, nodes=None, timeout=60.0):
        return sync_blocks(nodes or [n for n in self.nodes if n.is_running()], timeout)

    def sync_mempools(self, nodes=None, timeout=60.0):
        return sync_mempools(nodes or [n for n in self.nodes if n.is_running()], timeout)
