#!/usr/bin/env python3
"""A hostile peer: frames with a wrong magic, a bad checksum or an oversized length field,
an invalid block, a flood of unrequested transactions. Each time the node disconnects the
peer and bans it (docs/PROTOCOL.md "Misbehaviour and bans": 100 points, loopback peers are
banned as 127.0.0.1:<listen port of their version>), while an honest scripted peer and an
honest node keep being served. Nodes run with --encrypt 0 (plaintext) for the scripted peers."""

import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

from tally_framework import TallyTestFramework, assert_equal, devnet_key  # noqa: E402
from tally_framework.messages import (Block, BlockHeader, MsgBlock, MsgGetData, MsgGetHeaders, MsgPing,  # noqa: E402
                                      MsgTx, Transaction, INV_BLOCK, encode_frame, make_coinbase, merkle_root)
from tally_framework.p2p import P2PPeer  # noqa: E402
from tally_framework.util import wait_until  # noqa: E402


class HostilePeer(TallyTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.encrypt = False

    def run_test(self):
        n0, n1 = self.nodes
        self.network.generate(n0, 5)
        self.used_ports = set()
        self.honest = self.add_peer(n0, listen_port=self.fresh_port())
        self.check_served("at start")

        self.attack("wrong magic", lambda p: p.send_frame(MsgPing.TYPE, struct.pack("<Q", 1), magic=0x0BADF00D))
        self.attack("bad checksum", lambda p: p.send_frame(MsgPing.TYPE, struct.pack("<Q", 2), check=0x12345678))
        # Only the 13-byte header: the node must judge the length field before any payload arrives.
        self.attack("oversized length", lambda p: p.send_raw(encode_frame(p.magic, MsgTx.TYPE, b"", length=145)[:13]))
        self.attack("unknown type", lambda p: p.send_frame(99, b""))
        self.attack("invalid block", lambda p: p.send(MsgBlock(self.invalid_block(n0))))
        self.attack("flood of unrequested transactions", self.flood)

        # A banned peer that comes back is refused after its version.
        banned_port = sorted(self.banned_ports)[0]
        again = P2PPeer.for_node(n0, listen_port=banned_port)
        self.peers.append(again)
        again.connect(n0.p2p_port)
        again.send(again.version_message())
        again.wait_for_disconnect()
        assert not again.received("verack"), "a banned peer completed the handshake"
        self.log("a banned peer reconnecting is refused")

        assert_equal(len(n0.rpc.listbanned()), len(self.banned_ports))
        self.check_served("at the end")

    def fresh_port(self):
        while True:
            port = self.rng.randrange(20000, 60000)
            if port not in self.used_ports and port not in (n.p2p_port for n in self.nodes):
                self.used_ports.add(port)
                return port

    def attack(self, name, act):
        n0 = self.nodes[0]
        port = self.fresh_port()
        peer = self.add_peer(n0, listen_port=port)
        peer.ping()  # established and served before it misbehaves
        try:
            act(peer)
        except OSError:
            pass  # the node may close while we still write: that is the point
        peer.wait_for_disconnect()
        key = "127.0.0.1:%d" % port
        ban = wait_until(lambda: [b for b in n0.rpc.listbanned() if b["address"] == key],
                         message="%s is not banned after %s" % (key, name))[0]
        self.banned_ports = getattr(self, "banned_ports", set()) | {port}
        self.log("%s: disconnected and banned (%s)" % (name, ban.get("ban_reason")))
        self.check_served("after " + name)

    def flood(self, peer):
        """Unrequested transactions with bad signatures: 5 + 10 points each."""
        key = devnet_key(1)
        for i in range(200):
            tx = Transaction(self.network.chain_id, key.pubkey, bytes(20), 1000 + i, 1000, i,
                             self.rng.randbytes(64))
            peer.send(MsgTx(tx))
            if peer.closed.is_set():
                break

    def invalid_block(self, node):
        """A block on the node's tip with a valid header (parent, height, bits, time, proof
        of work) and a wrong state root: bad-stateroot, a consensus failure."""
        tip = Block.deserialize(bytes.fromhex(node.rpc.getblock(node.rpc.getbestblockhash(), 0)))
        bits = int(node.rpc.getmininginfo()["next_bits"], 16)
        height = tip.header.height + 1
        cb = make_coinbase(self.network.chain_id, devnet_key(0).address_hash, self.network.chain_spec["subsidy"],
                           height)
        header = BlockHeader(1, height, tip.hash(), merkle_root([cb.txid()]), self.rng.randbytes(32),
                             max(int(time.time()), tip.header.time + 1), bits, 0).solve()
        return Block(header, [cb])

    def check_served(self, when):
        """The honest peer gets pongs, headers and blocks; node1 follows node0's new blocks."""
        n0, n1 = self.nodes
        assert self.network.connected(n0, n1), "node0 and node1 are no longer connected " + when
        self.honest.ping()
        start = len(self.honest.messages)
        genesis = bytes.fromhex(n0.rpc.getblockhash(0))
        self.honest.send(MsgGetHeaders([genesis]))
        headers = self.honest.wait_for("headers", after=start).headers
        assert_equal(len(headers), n0.rpc.getblockcount())
        assert_equal(headers[-1].hash().hex(), n0.rpc.getbestblockhash())
        self.honest.send(MsgGetData([(INV_BLOCK, headers[-1].hash())]))
        block = self.honest.wait_for("block", lambda m: m.block.hash() == headers[-1].hash(), after=start).block
        assert_equal(block.compute_tx_root(), block.header.tx_root)
        new = self.network.generate(n0, 1)[0]
        self.log("honest peer and node1 served %s (tip %s)" % (when, new[:16]))


if __name__ == "__main__":
    HostilePeer().main()
