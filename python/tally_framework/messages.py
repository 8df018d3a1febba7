"""Tally's encodings (docs/CONSENSUS.md "Encoding", docs/PROTOCOL.md) and P2P frames.

Integers are little-endian; lists and lengths use the shortest compact size. Every message
class has `TYPE`, `serialize()` and a `deserialize(payload)` classmethod that rejects
truncated input and trailing bytes (DecodeError), so tests can build any message, valid or
not, and read what a node sends.
"""

import io
import struct

from .crypto import sha256d, tagged_hash

DEVNET_MAGIC = 0x544C5931
PROTOCOL_VERSION = 2
HEADER_SIZE = 13
TX_SIZE = 144
BLOCK_HEADER_SIZE = 116


class DecodeError(ValueError):
    pass


# --- primitives ----------------------------------------------------------------------------


def ser_compact_size(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


class Reader:
    """Reads a payload front to back; every short read is a DecodeError."""

    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.pos = 0

    def read(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise DecodeError("truncated: wanted %d bytes at %d of %d" % (n, self.pos, len(self.data)))
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self):
        return self.read(1)[0]

    def u16(self):
        return struct.unpack("<H", self.read(2))[0]

    def u32(self):
        return struct.unpack("<I", self.read(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.read(8))[0]

    def compact_size(self, limit=None):
        first = self.u8()
        if first < 0xFD:
            n = first
        elif first == 0xFD:
            n = self.u16()
            if n < 0xFD:
                raise DecodeError("non-canonical compact size")
        elif first == 0xFE:
            n = self.u32()
            if n <= 0xFFFF:
                raise DecodeError("non-canonical compact size")
        else:
            n = self.u64()
            if n <= 0xFFFFFFFF:
                raise DecodeError("non-canonical compact size")
        if limit is not None and n > limit:
            raise DecodeError("count %d above the limit %d" % (n, limit))
        return n

    def remaining(self):
        return len(self.data) - self.pos

    def finish(self):
        if self.pos != len(self.data):
            raise DecodeError("%d trailing bytes" % (len(self.data) - self.pos))


# --- ledger objects ------------------------------------------------------------------------


class Transaction:
    """chain_id u32 | sender 32 | recipient 20 | amount u64 | fee u64 | nonce u64 | signature 64."""

    def __init__(self, chain_id=0, sender=bytes(32), recipient=bytes(20), amount=0, fee=0, nonce=0,
                 signature=bytes(64)):
        self.chain_id = chain_id
        self.sender = bytes(sender)
        self.recipient = bytes(recipient)
        self.amount = amount
        self.fee = fee
        self.nonce = nonce
        self.signature = bytes(signature)

    def unsigned_bytes(self) -> bytes:
        return (struct.pack("<I", self.chain_id) + self.sender + self.recipient +
                struct.pack("<QQQ", self.amount, self.fee, self.nonce))

    def serialize(self) -> bytes:
        return self.unsigned_bytes() + self.signature

    @classmethod
    def deserialize(cls, data: bytes):
        r = Reader(data)
        tx = cls.read(r)
        r.finish()
        return tx

    @classmethod
    def read(cls, r: Reader):
        chain_id = r.u32()
        sender = r.read(32)
        recipient = r.read(20)
        amount, fee, nonce = r.u64(), r.u64(), r.u64()
        return cls(chain_id, sender, recipient, amount, fee, nonce, r.read(64))

    def sighash(self) -> bytes:
        """What the signature signs: tagged_hash("Tally/TxSig", bytes 0..80)."""
        return tagged_hash("Tally/TxSig", self.unsigned_bytes())

    def sign(self, key, aux_rand: bytes = bytes(32)):
        """Sets sender to key's x-only public key and signs; returns self."""
        self.sender = key.pubkey
        self.signature = key.sign(self.sighash(), aux_rand)
        return self

    def txid(self) -> bytes:
        return sha256d(self.serialize())

    def is_coinbase(self) -> bool:
        return self.sender == bytes(32) and self.signature == bytes(64)

    def hex(self) -> str:
        return self.serialize().hex()

    def __eq__(self, other):
        return isinstance(other, Transaction) and self.serialize() == other.serialize()

    def __repr__(self):
        return "Transaction(txid=%s amount=%d fee=%d nonce=%d)" % (self.txid().hex(), self.amount, self.fee, self.nonce)


def make_transfer(key, chain_id: int, recipient: bytes, amount: int, fee: int, nonce: int,
                  aux_rand: bytes = bytes(32)) -> Transaction:
    """A signed transfer from `key` to the 20-byte address hash `recipient`."""
    return Transaction(chain_id, key.pubkey, recipient, amount, fee, nonce).sign(key, aux_rand)


def make_coinbase(chain_id: int, recipient: bytes, amount: int, height: int) -> Transaction:
    return Transaction(chain_id, bytes(32), recipient, amount, 0, height, bytes(64))


class BlockHeader:
    """version u32 | height u32 | prev_hash 32 | tx_root 32 | state_root 32 | time u32 | bits u32 | nonce u32."""

    def __init__(self, version=1, height=0, prev_hash=bytes(32), tx_root=bytes(32), state_root=bytes(32), time=0,
                 bits=0x207FFFFF, nonce=0):
        self.version = version
        self.height = height
        self.prev_hash = bytes(prev_hash)
        self.tx_root = bytes(tx_root)
        self.state_root = bytes(state_root)
        self.time = time
        self.bits = bits
        self.nonce = nonce

    def serialize(self) -> bytes:
        return (struct.pack("<II", self.version, self.height) + self.prev_hash + self.tx_root + self.state_root +
                struct.pack("<III", self.time, self.bits, self.nonce))

    @classmethod
    def read(cls, r: Reader):
        version, height = r.u32(), r.u32()
        prev, tx_root, state_root = r.read(32), r.read(32), r.read(32)
        return cls(version, height, prev, tx_root, state_root, r.u32(), r.u32(), r.u32())

    @classmethod
    def deserialize(cls, data: bytes):
        r = Reader(data)
        h = cls.read(r)
        r.finish()
        return h

    def hash(self) -> bytes:
        return sha256d(self.serialize())

    def check_pow(self) -> bool:
        """The hash, read big-endian, is at most the target of `bits`."""
        target = bits_to_target(self.bits)
        return target > 0 and int.from_bytes(self.hash(), "big") <= target

    def solve(self, max_tries: int = 10_000_000):
        """Grinds the nonce until the proof of work holds (instant on the fast chain)."""
        for _ in range(max_tries):
            if self.check_pow():
                return self
            self.nonce = (self.nonce + 1) & 0xFFFFFFFF
        raise RuntimeError("no nonce found in %d tries" % max_tries)


def bits_to_target(bits: int) -> int:
    """Bitcoin's compact target; 0 for negative or zero encodings."""
    size = bits >> 24
    mantissa = bits & 0x007FFFFF
    if bits & 0x00800000:
        return 0
    return mantissa >> (8 * (3 - size)) if size <= 3 else mantissa << (8 * (size - 3))


def merkle_root(txids) -> bytes:
    """docs/CONSENSUS.md: pairs hashed with Tally/MerkleNode, an odd last node carried up,
    the top committed with the leaf count under Tally/MerkleRoot."""
    level = list(txids)
    count = len(level)
    if count == 0:
        top = bytes(32)
    else:
        while len(level) > 1:
            nxt = [tagged_hash("Tally/MerkleNode", level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
        top = level[0]
    return tagged_hash("Tally/MerkleRoot", struct.pack("<Q", count) + top)


class Block:
    def __init__(self, header=None, txs=None):
        self.header = header or BlockHeader()
        self.txs = list(txs or [])

    def serialize(self) -> bytes:
        return self.header.serialize() + ser_compact_size(len(self.txs)) + b"".join(t.serialize() for t in self.txs)

    @classmethod
    def read(cls, r: Reader):
        header = BlockHeader.read(r)
        n = r.compact_size(65536)
        if n * TX_SIZE > r.remaining():
            raise DecodeError("transaction count beyond the payload")
        return cls(header, [Transaction.read(r) for _ in range(n)])

    @classmethod
    def deserialize(cls, data: bytes):
        r = Reader(data)
        b = cls.read(r)
        r.finish()
        return b

    def hash(self) -> bytes:
        return self.header.hash()

    def compute_tx_root(self) -> bytes:
        return merkle_root([t.txid() for t in self.txs])

    def hex(self) -> str:
        return self.serialize().hex()


# --- network addresses ---------------------------------------------------------------------


def ser_ip(host: str) -> bytes:
    parts = [int(p) for p in host.split(".")]
    return bytes(10) + b"\xff\xff" + bytes(parts)


class AddrEntry:
    def __init__(self, ip16=ser_ip("127.0.0.1"), port=0, last_seen=0, nodekey=None):
        self.ip16 = bytes(ip16)
        self.port = port
        self.last_seen = last_seen
        self.nodekey = nodekey  # 33 bytes or None

    def serialize(self):
        out = self.ip16 + struct.pack("<HI", self.port, self.last_seen)
        if self.nodekey is None:
            return out + b"\x00"
        return out + b"\x01" + self.nodekey

    @classmethod
    def read(cls, r: Reader):
        ip16 = r.read(16)
        port, last_seen = r.u16(), r.u32()
        flags = r.u8()
        if flags & ~1:
            raise DecodeError("unknown address flags")
        key = None
        if flags & 1:
            key = r.read(33)
            if key[0] not in (2, 3):
                raise DecodeError("bad node key prefix")
        return cls(ip16, port, last_seen, key)

    def host(self):
        if self.ip16[:12] == bytes(10) + b"\xff\xff":
            return ".".join(str(b) for b in self.ip16[12:])
        return self.ip16.hex()


# --- messages ------------------------------------------------------------------------------

INV_TX = 1
INV_BLOCK = 2
MAX_INV = 50_000


class Message:
    TYPE = 0
    NAME = "?"

    def serialize(self) -> bytes:
        raise NotImplementedError

    @classmethod
    def deserialize(cls, payload: bytes):
        raise NotImplementedError

    def __repr__(self):
        fields = ", ".join("%s=%r" % kv for kv in sorted(vars(self).items()))
        return "%s(%s)" % (self.NAME, fields[:200])


class MsgVersion(Message):
    TYPE, NAME = 1, "version"

    def __init__(self, protocol_version=PROTOCOL_VERSION, chain_id=7077, genesis_hash=bytes(32), best_height=0,
                 listen_port=0, nonce=0, user_agent="/tally-pyfw:0.1/"):
        self.protocol_version = protocol_version
        self.chain_id = chain_id
        self.genesis_hash = bytes(genesis_hash)
        self.best_height = best_height
        self.listen_port = listen_port
        self.nonce = nonce
        self.user_agent = user_agent

    def serialize(self):
        ua = self.user_agent.encode("ascii")
        return (struct.pack("<II", self.protocol_version, self.chain_id) + self.genesis_hash +
                struct.pack("<IHQ", self.best_height, self.listen_port, self.nonce) + ser_compact_size(len(ua)) + ua)

    @classmethod
    def deserialize(cls, payload):
        r = Reader(payload)
        pv, cid = r.u32(), r.u32()
        gh = r.read(32)
        best, port, nonce = r.u32(), r.u16(), r.u64()
        ua = r.read(r.compact_size(256))
        r.finish()
        if any(b < 0x20 or b > 0x7E for b in ua):
            raise DecodeError("user agent not printable ASCII")
        return cls(pv, cid, gh, best, port, nonce, ua.decode("ascii"))


class _Empty(Message):
    def serialize(self):
        return b""

    @classmethod
    def deserialize(cls, payload):
        if payload:
            raise DecodeError("%s has an empty payload" % cls.NAME)
        return cls()


class MsgVerack(_Empty):
    TYPE, NAME = 2, "verack"


class MsgGetAddr(_Empty):
    TYPE, NAME = 5, "getaddr"


class _Nonce(Message):
    def __init__(self, nonce=0):
        self.nonce = nonce

    def serialize(self):
        return struct.pack("<Q", self.nonce)

    @classmethod
    def deserialize(cls, payload):
        r = Reader(payload)
        m = cls(r.u64())
        r.finish()
        return m


class MsgPing(_Nonce):
    TYPE, NAME = 3, "ping"


class MsgPong(_Nonce):
    TYPE, NAME = 4, "pong"


class MsgAddr(Message):
    TYPE, NAME = 6, "addr"

    def __init__(self, entries=None):
        self.entries = list(entries or [])

    def serialize(self):
        return ser_compact_size(len(self.entries)) + b"".join(e.serialize() for e in self.entries)

    @classmethod
    def deserialize(cls, payload):
        r = Reader(payload)
        n = r.compact_size(1000)
        if n * 23 > r.remaining():
            raise DecodeError("address count beyond the payload")
        m = cls([AddrEntry.read(r) for _ in range(n)])
        r.finish()
        return m


class _Inv(Message):
    def __init__(self, items=None):
        self.items = list(items or [])  # (type, 32-byte hash)

    def serialize(self):
        return ser_compact_size(len(self.items)) + b"".join(bytes([t]) + h for t, h in self.items)

    @classmethod
    def deserialize(cls, payload):
        r = Reader(payload)
        n = r.compact_size(MAX_INV)
        if n * 33 > r.remaining():
            raise DecodeError("inventory count beyond the payload")
        items = []
        for _ in range(n):
            t = r.u8()
            if t not in (INV_TX, INV_BLOCK):
                raise DecodeError("bad inventory type %d" % t)
            items.append((t, r.read(32)))
        r.finish()
        return cls(items)


class MsgInv(_Inv):
    TYPE, NAME = 7, "inv"


class MsgGetData(_Inv):
    TYPE, NAME = 8, "getdata"


class MsgNotFound(_Inv):
    TYPE, NAME = 9, "notfound"


class MsgTx(Message):
    TYPE, NAME = 10, "tx"

    def __init__(self, tx=None):
        self.tx = tx or Transaction()

    def serialize(self):
        return self.tx.serialize()

    @classmethod
    def deserialize(cls, payload):
        return cls(Transaction.deserialize(payload))


class MsgGetHeaders(Message):
    TYPE, NAME = 11, "getheaders"

    def __init__(self, locator=None, stop=bytes(32)):
        self.locator = list(locator or [])
        self.stop = bytes(stop)

    def serialize(self):
        return ser_compact_size(len(self.locator)) + b"".join(self.locator) + self.stop

    @classmethod
    def deserialize(cls, payload):
        r = Reader(payload)
        n = r.compact_size(101)
        loc = [r.read(32) for _ in range(n)]
        m = cls(loc, r.read(32))
        r.finish()
        return m


class MsgHeaders(Message):
    TYPE, NAME = 12, "headers"

    def __init__(self, headers=None):
        self.headers = list(headers or [])

    def serialize(self):
        return ser_compact_size(len(self.headers)) + b"".join(h.serialize() for h in self.headers)

    @classmethod
    def deserialize(cls, payload):
        r = Reader(payload)
        n = r.compact_size(2000)
        if n * BLOCK_HEADER_SIZE > r.remaining():
            raise DecodeError("header count beyond the payload")
        m = cls([BlockHeader.read(r) for _ in range(n)])
        r.finish()
        return m


class MsgBlock(Message):
    TYPE, NAME = 13, "block"

    def __init__(self, block=None):
        self.block = block or Block()

    def serialize(self):
        return self.block.serialize()

    @classmethod
    def deserialize(cls, payload):
        return cls(Block.deserialize(payload))


class MsgSendCmpct(Message):
    TYPE, NAME = 14, "sendcmpct"

    def __init__(self, high_bandwidth=1, version=1):
        self.high_bandwidth = high_bandwidth
        self.version = version

    def serialize(self):
        return bytes([self.high_bandwidth]) + struct.pack("<Q", self.version)

    @classmethod
    def deserialize(cls, payload):
        r = Reader(payload)
        hb = r.u8()
        if hb not in (0, 1):
            raise DecodeError("high_bandwidth must be 0 or 1")
        m = cls(hb, r.u64())
        r.finish()
        return m


def _read_diff_indexes(r: Reader, count: int, last_slot: int):
    out = []
    prev = -1
    for _ in range(count):
        idx = prev + 1 + r.compact_size()
        if idx >= 65536 or idx > last_slot:
            raise DecodeError("slot index out of range")
        out.append(idx)
        prev = idx
    return out


def _ser_diff_indexes(indexes):
    out = b""
    prev = -1
    for idx in indexes:
        out += ser_compact_size(idx - prev - 1)
        prev = idx
    return out


class MsgCmpctBlock(Message):
    TYPE, NAME = 15, "cmpctblock"

    def __init__(self, header=None, nonce=0, short_ids=None, prefilled=None):
        self.header = header or BlockHeader()
        self.nonce = nonce
        self.short_ids = list(short_ids or [])  # ints (48 bits)
        self.prefilled = list(prefilled or [])  # (slot index, Transaction)

    def serialize(self):
        out = self.header.serialize() + struct.pack("<Q", self.nonce) + ser_compact_size(len(self.short_ids))
        out += b"".join(s.to_bytes(6, "little") for s in self.short_ids)
        out += ser_compact_size(len(self.prefilled))
        prev = -1
        for idx, tx in self.prefilled:
            out += ser_compact_size(idx - prev - 1) + tx.serialize()
            prev = idx
        return out

    @classmethod
    def deserialize(cls, payload):
        r = Reader(payload)
        header = BlockHeader.read(r)
        nonce = r.u64()
        ns = r.compact_size(65536)
        if ns * 6 > r.remaining():
            raise DecodeError("short id count beyond the payload")
        sids = [int.from_bytes(r.read(6), "little") for _ in range(ns)]
        npf = r.compact_size(65536 - ns)
        last = ns + npf - 1
        prefilled = []
        prev = -1
        for _ in range(npf):
            idx = prev + 1 + r.compact_size()
            if idx >= 65536 or idx > last:
                raise DecodeError("prefilled index out of range")
            prefilled.append((idx, Transaction.read(r)))
            prev = idx
        r.finish()
        return cls(header, nonce, sids, prefilled)


class MsgGetBlockTxn(Message):
    TYPE, NAME = 16, "getblocktxn"

    def __init__(self, block_hash=bytes(32), indexes=None):
        self.block_hash = bytes(block_hash)
        self.indexes = list(indexes or [])

    def serialize(self):
        return self.block_hash + ser_compact_size(len(self.indexes)) + _ser_diff_indexes(self.indexes)

    @classmethod
    def deserialize(cls, payload):
        r = Reader(payload)
        h = r.read(32)
        n = r.compact_size(65536)
        m = cls(h, _read_diff_indexes(r, n, 65535))
        r.finish()
        return m


class MsgBlockTxn(Message):
    TYPE, NAME = 17, "blocktxn"

    def __init__(self, block_hash=bytes(32), txs=None):
        self.block_hash = bytes(block_hash)
        self.txs = list(txs or [])

    def serialize(self):
        return self.block_hash + ser_compact_size(len(self.txs)) + b"".join(t.serialize() for t in self.txs)

    @classmethod
    def deserialize(cls, payload):
        r = Reader(payload)
        h = r.read(32)
        n = r.compact_size(65536)
        if n * TX_SIZE > r.remaining():
            raise DecodeError("transaction count beyond the payload")
        m = cls(h, [Transaction.read(r) for _ in range(n)])
        r.finish()
        return m


MESSAGES = {c.TYPE: c for c in (MsgVersion, MsgVerack, MsgPing, MsgPong, MsgGetAddr, MsgAddr, MsgInv, MsgGetData,
                                MsgNotFound, MsgTx, MsgGetHeaders, MsgHeaders, MsgBlock, MsgSendCmpct, MsgCmpctBlock,
                                MsgGetBlockTxn, MsgBlockTxn)}
MESSAGE_NAMES = {c.NAME: c for c in MESSAGES.values()}

# Maximum payload per type (docs/PROTOCOL.md "Message types and limits").
MAX_PAYLOAD = {1: 313, 2: 0, 3: 8, 4: 8, 5: 0, 6: 56_003, 7: 1_650_003, 8: 1_650_003, 9: 1_650_003, 10: 144,
               11: 3_265, 12: 232_003, 13: 9_437_305, 14: 9, 15: 9_633_926, 16: 196_645, 17: 9_437_221}


# --- frames --------------------------------------------------------------------------------


def checksum(payload: bytes) -> int:
    """First 4 bytes of SHA-256d(payload) read as little-endian u32."""
    return struct.unpack("<I", sha256d(payload)[:4])[0]


def encode_frame(magic: int, msg_type: int, payload: bytes, length=None, check=None) -> bytes:
    """A frame; `length` and `check` override the true values (for hostile peers)."""
    return (struct.pack("<IBII", magic, msg_type, len(payload) if length is None else length,
                        checksum(payload) if check is None else check) + payload)


def frame_message(magic: int, msg: Message) -> bytes:
    return encode_frame(magic, msg.TYPE, msg.serialize())


class FrameError(ValueError):
    pass


class FrameDecoder:
    """Incremental frame reader (docs/PROTOCOL.md "Reading frames"). feed() bytes, then
    next() returns (type, payload) or None; errors raise FrameError and are final."""

    def __init__(self, magic: int):
        self.magic = magic
        self.buf = bytearray()

    def feed(self, data: bytes):
        self.buf += data

    def next(self):
        if len(self.buf) < HEADER_SIZE:
            return None
        magic, mtype, length, check = struct.unpack("<IBII", bytes(self.buf[:HEADER_SIZE]))
        if magic != self.magic:
            raise FrameError("bad magic 0x%08x" % magic)
        if mtype not in MAX_PAYLOAD:
            raise FrameError("unknown type %d" % mtype)
        if length > MAX_PAYLOAD[mtype]:
            raise FrameError("oversized: %d bytes for type %d" % (length, mtype))
        if len(self.buf) < HEADER_SIZE + length:
            return None
        payload = bytes(self.buf[HEADER_SIZE:HEADER_SIZE + length])
        del self.buf[:HEADER_SIZE + length]
        if checksum(payload) != check:
            raise FrameError("bad checksum")
        return mtype, payload


def decode_message(mtype: int, payload: bytes) -> Message:
    return MESSAGES[mtype].deserialize(payload)
