"""P2PPeer: a scripted peer speaking Tally's wire protocol (docs/PROTOCOL.md) in plaintext.

It connects to a tallyd started with `--encrypt 0`: the default transport wraps the frames
in Noise (secp256k1 ECDH, ChaCha20-Poly1305, HKDF-SHA256) and Python's standard library has
no ChaCha20-Poly1305, so scripted peers use the plaintext mode, whose frames and rules are
the same (docs/FRAMEWORK.md).

A reader thread decodes frames into a list of received messages (answering pings unless
told not to); the test thread sends and waits:

    peer = P2PPeer.for_node(node, listen_port=40001)
    peer.connect(node.p2p_port)
    peer.handshake()
    peer.send(MsgGetHeaders([genesis_hash]))
    headers = peer.wait_for("headers")
    peer.send_raw(b"junk")                 # hostile bytes
    peer.wait_for_disconnect()

Thread-safety: send*/wait* from one test thread; the reader thread only appends under a lock.
"""

import os
import socket
import struct
import threading
import time

from .messages import (DecodeError, FrameDecoder, FrameError, MESSAGE_NAMES, MsgPing, MsgPong, MsgVerack,
                       MsgVersion, decode_message, encode_frame, frame_message)
from .util import TIMEOUT_FACTOR, wait_until


class P2PPeer:
    def __init__(self, magic, chain_id, genesis_hash, listen_port=0, best_height=0, nonce=None,
                 user_agent="/tally-pyfw:0.1/", answer_pings=True, log=None):
        self.magic = magic
        self.chain_id = chain_id
        self.genesis_hash = genesis_hash
        self.listen_port = listen_port  # also the loopback ban key the node uses for us
        self.best_height = best_height
        self.nonce = nonce if nonce is not None else int.from_bytes(os.urandom(8), "little")
        self.user_agent = user_agent
        self.answer_pings = answer_pings
        self.log = log or (lambda *_: None)
        self.sock = None
        self.messages = []  # every message received, in order
        self.frame_error = None  # why the reader stopped on a bad frame from the node
        self.closed = threading.Event()
        self.remote_version = None
        self._lock = threading.Lock()
        self._reader = None

    @classmethod
    def for_node(cls, node, **kwargs):
        """A peer of node's chain (chain id, genesis hash and magic read over RPC)."""
        info = node.info()
        kwargs.setdefault("best_height", 0)
        return cls(info["magic"], info["chain_id"], info["genesis"], **kwargs)

    # --- connection ---

    def connect(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.closed.clear()
        self._reader = threading.Thread(target=self._read_loop, name="p2p-reader", daemon=True)
        self._reader.start()
        return self

    def close(self):
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
        if self._reader is not None:
            self._reader.join(5)
        self.closed.set()

    def is_connected(self):
        return self.sock is not None and not self.closed.is_set()

    def _read_loop(self):
        decoder = FrameDecoder(self.magic)
        try:
            while True:
                try:
                    data = self.sock.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                decoder.feed(data)
                while True:
                    frame = decoder.next()
                    if frame is None:
                        break
                    mtype, payload = frame
                    msg = decode_message(mtype, payload)
                    self.log("recv %s" % msg.NAME)
                    if isinstance(msg, MsgPing) and self.answer_pings:
                        self._send_bytes(frame_message(self.magic, MsgPong(msg.nonce)), quiet=True)
                    with self._lock:
                        self.messages.append(msg)
        except (FrameError, DecodeError) as e:
            self.frame_error = str(e)
        finally:
            self.closed.set()

    # --- sending ---

    def _send_bytes(self, data: bytes, quiet=False):
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            if not quiet:
                raise
            return False

    def send(self, msg):
        """Sends one message in a correct frame."""
        self.log("send %s" % msg.NAME)
        self._send_bytes(frame_message(self.magic, msg))

    def send_frame(self, msg_type, payload, magic=None, length=None, check=None):
        """A frame whose magic, type, length field or checksum may be wrong on purpose."""
        self._send_bytes(encode_frame(self.magic if magic is None else magic, msg_type, payload, length, check))

    def send_raw(self, data: bytes):
        """Any bytes at all. A node that already closed makes this raise OSError, unless the
        bytes fit in the socket buffer; check wait_for_disconnect() afterwards."""
        self._send_bytes(data)

    # --- receiving ---

    def received(self, name=None):
        with self._lock:
            return [m for m in self.messages if name is None or m.NAME == name]

    def clear(self):
        with self._lock:
            self.messages.clear()

    def wait_for(self, name, predicate=None, timeout=30.0, after=0):
        """The first message of type `name` (at index >= after in self.messages) for which
        predicate(msg) holds; fails if the node disconnects first or the time runs out."""
        if name not in MESSAGE_NAMES:
            raise ValueError("unknown message type %r" % name)

        def find():
            with self._lock:
                for m in self.messages[after:]:
                    if m.NAME == name and (predicate is None or predicate(m)):
                        return m
            if self.closed.is_set():
                raise AssertionError("the node disconnected while we waited for %s (%s)" %
                                     (name, self.frame_error or "connection closed"))
            return None

        return wait_until(find, timeout, message="no %s message" % name)

    def wait_for_disconnect(self, timeout=30.0):
        """Waits until the node closes the connection."""
        if not self.closed.wait(timeout * TIMEOUT_FACTOR):
            raise AssertionError("the node did not disconnect us within %.0f s" % (timeout * TIMEOUT_FACTOR))

    # --- protocol steps ---

    def version_message(self):
        return MsgVersion(chain_id=self.chain_id, genesis_hash=self.genesis_hash, best_height=self.best_height,
                          listen_port=self.listen_port, nonce=self.nonce, user_agent=self.user_agent)

    def handshake(self, timeout=30.0):
        """version out; the node's version and verack in; verack out. Returns its version."""
        self.send(self.version_message())
        self.remote_version = self.wait_for("version", timeout=timeout)
        self.send(MsgVerack())
        self.wait_for("verack", timeout=timeout)
        return self.remote_version

    def ping(self, timeout=30.0):
        """A ping answered with the same nonce: proof the node still serves us."""
        nonce = int.from_bytes(os.urandom(8), "little") or 1
        start = len(self.messages)
        self.send(MsgPing(nonce))
        return self.wait_for("pong", lambda m: m.nonce == nonce, timeout=timeout, after=start)
