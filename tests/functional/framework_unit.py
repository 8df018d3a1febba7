#!/usr/bin/env python3
"""Unit tests of python/tally_framework itself (no tallyd): BIP340 against the project's
published vectors (read from tests/crypto/schnorr_bip340_test.cpp), bech32m against the
BIP350 vectors (tests/crypto/bech32m_test.cpp) and the devnet keys, RIPEMD-160, the
encodings and frames of docs/PROTOCOL.md with its examples, and the JSON-RPC client's error
mapping against a local HTTP server."""

import base64
import http.server
import json
import os
import random
import re
import struct
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "python"))

from tally_framework import crypto  # noqa: E402
from tally_framework.address import (Bech32Error, bech32m_decode, bech32m_encode, decode_address,  # noqa: E402
                                     encode_address)
from tally_framework.keys import Key, devnet_key  # noqa: E402
from tally_framework.messages import (MESSAGES, AddrEntry, Block, BlockHeader, DecodeError, FrameDecoder,  # noqa: E402
                                      FrameError, MsgAddr, MsgBlock, MsgBlockTxn, MsgCmpctBlock, MsgGetAddr,
                                      MsgGetBlockTxn, MsgGetData, MsgGetHeaders, MsgHeaders, MsgInv, MsgNotFound,
                                      MsgPing, MsgPong, MsgSendCmpct, MsgTx, MsgVerack, MsgVersion, Reader,
                                      Transaction, checksum, encode_frame, frame_message, make_coinbase,
                                      make_transfer, merkle_root, ser_compact_size, ser_ip, DEVNET_MAGIC)
from tally_framework.rpc import JSONRPCException, RPCClient  # noqa: E402

SEED = int(os.environ.get("TALLY_SEED") or random.SystemRandom().randrange(2**32))
print("TALLY_SEED=%d" % SEED, flush=True)


def read(path):
    with open(os.path.join(SOURCE, path)) as f:
        return f.read()


def bip340_vectors():
    """The rows of kVectors in tests/crypto/schnorr_bip340_test.cpp."""
    text = read("tests/crypto/schnorr_bip340_test.cpp")
    rows = re.findall(r'\{(\d+), "([0-9A-F]*)",\s*"([0-9A-F]*)",\s*"([0-9A-F]*)",\s*"([0-9A-F]*)",\s*'
                      r'"([0-9A-F]*)",\s*(true|false), "([^"]*)"\}', text)
    return [dict(index=int(r[0]), secret=r[1], pubkey=r[2], aux=r[3], msg=r[4], sig=r[5], ok=r[6] == "true",
                 comment=r[7]) for r in rows]


class Bip340Test(unittest.TestCase):
    def test_published_vectors(self):
        vectors = bip340_vectors()
        self.assertEqual(len(vectors), 19, "could not read the vector table")
        for v in vectors:
            with self.subTest(index=v["index"], comment=v["comment"]):
                msg, pub, sig = bytes.fromhex(v["msg"]), bytes.fromhex(v["pubkey"]), bytes.fromhex(v["sig"])
                if v["secret"]:
                    secret = bytes.fromhex(v["secret"])
                    self.assertEqual(crypto.pubkey_from_secret(secret), pub)
                    self.assertEqual(crypto.schnorr_sign(msg, secret, bytes.fromhex(v["aux"])), sig)
                self.assertEqual(crypto.schnorr_verify(msg, pub, sig), v["ok"])

    def test_random_sign_verify(self):
        rng = random.Random(SEED)
        for _ in range(5):
            key = Key.generate(rng)
            msg = rng.randbytes(rng.randrange(100))
            sig = key.sign(msg, rng.randbytes(32))
            self.assertTrue(crypto.schnorr_verify(msg, key.pubkey, sig))
            self.assertFalse(crypto.schnorr_verify(msg + b"x", key.pubkey, sig))


class HashTest(unittest.TestCase):
    def test_ripemd160(self):
        for impl in (crypto.ripemd160, crypto._ripemd160_py):
            self.assertEqual(impl(b"").hex(), "9c1185a5c5e9fc54612808977ee8f548b2258d31")
            self.assertEqual(impl(b"abc").hex(), "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc")
            self.assertEqual(impl(b"a" * 1000), crypto._ripemd160_py(b"a" * 1000))

    def test_tagged_hash(self):
        t = crypto.sha256(b"Tally/TxSig")
        self.assertEqual(crypto.tagged_hash("Tally/TxSig", b"x"), crypto.sha256(t + t + b"x"))


class AddressTest(unittest.TestCase):
    def test_bip350_valid_strings(self):
        block = read("tests/crypto/bech32m_test.cpp").split("kValidBech32m[] = {")[1].split("};")[0]
        strings = re.findall(r'"([^"]+)"', block)
        self.assertGreaterEqual(len(strings), 7)
        for s in strings:
            hrp, data = bech32m_decode(s)
            self.assertEqual(bech32m_encode(hrp, data), s.lower())

    def test_rejects(self):
        good = devnet_key(0).address()
        bad = good[:-1] + ("q" if good[-1] != "q" else "p")
        self.assertRaises(Bech32Error, decode_address, bad)
        self.assertRaises(Bech32Error, decode_address, good, "xyz")
        self.assertRaises(Bech32Error, decode_address, good[:5] + good[5:].upper())

    def test_devnet_keys(self):
        keys = json.loads(read("genesis/devnet-keys.json"))["keys"]
        spec = json.loads(read("genesis/devnet.json"))
        self.assertEqual(len(keys), 10)
        for k in keys:
            key = devnet_key(k["index"])
            self.assertEqual(key.secret.hex(), k["secret_key"])
            self.assertEqual(key.pubkey.hex(), k["public_key"])
            self.assertEqual(key.address(), k["address"])
            self.assertEqual(spec["accounts"][k["index"]]["address"], k["address"])
            self.assertEqual(encode_address(decode_address(k["address"])), k["address"])


class EncodingTest(unittest.TestCase):
    def test_compact_size(self):
        for n, enc in ((0, "00"), (0xFC, "fc"), (0xFD, "fdfd00"), (0xFFFF, "fdffff"), (0x10000, "fe00000100"),
                       (2**32, "ff0000000001000000")):
            self.assertEqual(ser_compact_size(n).hex(), enc)
            self.assertEqual(Reader(bytes.fromhex(enc)).compact_size(), n)
        for non_canonical in ("fd0100", "fe01000000", "ff0100000000000000"):
            self.assertRaises(DecodeError, Reader(bytes.fromhex(non_canonical)).compact_size)

    def test_transaction(self):
        key = devnet_key(3)
        tx = make_transfer(key, 7077, devnet_key(4).address_hash, 5, 1000, 7)
        raw = tx.serialize()
        self.assertEqual(len(raw), 144)
        self.assertEqual(struct.unpack_from("<I", raw, 0)[0], 7077)
        self.assertEqual(raw[4:36], key.pubkey)
        self.assertEqual(raw[36:56], devnet_key(4).address_hash)
        self.assertEqual(struct.unpack_from("<QQQ", raw, 56), (5, 1000, 7))
        self.assertTrue(crypto.schnorr_verify(crypto.tagged_hash("Tally/TxSig", raw[:80]), key.pubkey, raw[80:]))
        self.assertEqual(tx.txid(), crypto.sha256d(raw))
        self.assertEqual(Transaction.deserialize(raw), tx)
        self.assertRaises(DecodeError, Transaction.deserialize, raw + b"\x00")
        self.assertRaises(DecodeError, Transaction.deserialize, raw[:-1])
        self.assertTrue(make_coinbase(7077, bytes(20), 50, 3).is_coinbase())

    def test_header_and_block(self):
        cb = make_coinbase(7077, devnet_key(0).address_hash, 5_000_000_000, 1)
        h = BlockHeader(1, 1, bytes(32), merkle_root([cb.txid()]), bytes(32), 1764028801, 0x207FFFFF, 0).solve()
        self.assertEqual(len(h.serialize()), 116)
        self.assertTrue(h.check_pow())
        b = Block(h, [cb])
        self.assertEqual(len(b.serialize()), 116 + 1 + 144)
        self.assertEqual(Block.deserialize(b.serialize()).hash(), b.hash())
        self.assertEqual(b.compute_tx_root(), h.tx_root)

    def test_merkle_root(self):
        a, b, c = (bytes([i]) * 32 for i in (1, 2, 3))
        self.assertEqual(merkle_root([a]), crypto.tagged_hash("Tally/MerkleRoot", struct.pack("<Q", 1) + a))
        ab = crypto.tagged_hash("Tally/MerkleNode", a + b)
        top = crypto.tagged_hash("Tally/MerkleNode", ab + c)
        self.assertEqual(merkle_root([a, b, c]), crypto.tagged_hash("Tally/MerkleRoot", struct.pack("<Q", 3) + top))
        self.assertNotEqual(merkle_root([a, b, c]), merkle_root([a, b, c, c]))

    def test_address_entry_example(self):
        # docs/PROTOCOL.md: 10.0.0.1:9333, last seen 1764028800, no key.
        e = AddrEntry(ser_ip("10.0.0.1"), 9333, 1764028800)
        self.assertEqual(e.serialize().hex(), "00000000000000000000ffff0a000001" + "7524" + "80f12469" + "00")

    def test_every_message_round_trips(self):
        rng = random.Random(SEED)
        tx = make_transfer(devnet_key(1), 7077, bytes(20), 1, 1000, 0)
        header = BlockHeader(1, 2, rng.randbytes(32), rng.randbytes(32), rng.randbytes(32), 5, 0x207FFFFF, 9)
        samples = [
            MsgVersion(2, 7077, rng.randbytes(32), 10, 17077, 42, "/x:1/"), MsgVerack(), MsgPing(5), MsgPong(6),
            MsgGetAddr(), MsgAddr([AddrEntry(ser_ip("1.2.3.4"), 1, 2), AddrEntry(ser_ip("1.2.3.5"), 3, 4, b"\x02" * 33)]),
            MsgInv([(1, rng.randbytes(32)), (2, rng.randbytes(32))]), MsgGetData([(2, rng.randbytes(32))]),
            MsgNotFound([(1, rng.randbytes(32))]), MsgTx(tx), MsgGetHeaders([rng.randbytes(32)] * 3),
            MsgHeaders([header, header]), MsgBlock(Block(header, [tx, tx])), MsgSendCmpct(1, 1),
            MsgCmpctBlock(header, 77, [1, 2**48 - 1], [(0, tx), (3, tx)]), MsgGetBlockTxn(rng.randbytes(32), [1, 2, 7]),
            MsgBlockTxn(rng.randbytes(32), [tx]),
        ]
        self.assertEqual({m.TYPE for m in samples}, set(MESSAGES))
        for m in samples:
            with self.subTest(msg=m.NAME):
                payload = m.serialize()
                again = type(m).deserialize(payload)
                self.assertEqual(again.serialize(), payload)
                self.assertRaises(DecodeError, type(m).deserialize, payload + b"\x00")


class FrameTest(unittest.TestCase):
    def test_protocol_md_examples(self):
        self.assertEqual(checksum(b""), 0xE2E0F65D)
        self.assertEqual(frame_message(DEVNET_MAGIC, MsgVerack()).hex(" "), "31 59 4c 54 02 00 00 00 00 5d f6 e0 e2")
        self.assertEqual(frame_message(DEVNET_MAGIC, MsgPing(0x1122334455667788)).hex(" "),
                         "31 59 4c 54 03 08 00 00 00 8d 9a 66 f2 88 77 66 55 44 33 22 11")

    def test_decoder_split_and_joined(self):
        frames = frame_message(DEVNET_MAGIC, MsgPing(1)) + frame_message(DEVNET_MAGIC, MsgVerack())
        d = FrameDecoder(DEVNET_MAGIC)
        got = []
        for i in range(len(frames)):
            d.feed(frames[i:i + 1])
            f = d.next()
            while f is not None:
                got.append(f)
                f = d.next()
        self.assertEqual([t for t, _ in got], [3, 2])

    def test_decoder_errors(self):
        cases = {
            "bad magic": encode_frame(0x01020304, 2, b""),
            "unknown type": encode_frame(DEVNET_MAGIC, 18, b""),
            "oversized": encode_frame(DEVNET_MAGIC, 10, b"", length=145)[:13],
            "bad checksum": encode_frame(DEVNET_MAGIC, 3, bytes(8), check=1),
        }
        for what, data in cases.items():
            with self.subTest(what=what):
                d = FrameDecoder(DEVNET_MAGIC)
                d.feed(data)
                with self.assertRaises(FrameError) as cm:
                    d.next()
                self.assertIn(what.split()[-1], str(cm.exception))


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Handler.seen.append((self.headers.get("Authorization"), body))
        if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"__cookie__:secret").decode():
            return self.reply(401, b"")

        def answer(req):
            m = req["method"]
            if m == "getblockcount":
                return {"jsonrpc": "2.0", "id": req["id"], "result": 12}
            if m == "sendrawtransaction":
                return {"jsonrpc": "2.0", "id": req["id"],
                        "error": {"code": -26, "message": "bad-signature: no", "data": {"reason": "bad-signature"}}}
            if m == "echo":
                return {"jsonrpc": "2.0", "id": req["id"], "result": req.get("params")}
            return {"jsonrpc": "2.0", "id": req["id"], "error": {"code": -32601, "message": "Method not found"}}

        out = [answer(r) for r in body] if isinstance(body, list) else answer(body)
        self.reply(200, json.dumps(out).encode())

    def reply(self, status, data):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class RpcClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.port = cls.server.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def client(self, password="secret"):
        return RPCClient("127.0.0.1", self.port, "__cookie__", password, timeout=10)

    def test_result_and_params(self):
        c = self.client()
        self.assertEqual(c.getblockcount(), 12)
        self.assertEqual(c.echo(1, "a"), [1, "a"])
        self.assertEqual(c.echo(verbosity=2), {"verbosity": 2})
        self.assertEqual(_Handler.seen[-1][1]["jsonrpc"], "2.0")

    def test_cookie_file(self):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "pyfw-cookie-%d" % os.getpid())
        with open(path, "w") as f:
            f.write("__cookie__:secret")
        try:
            self.assertEqual(RPCClient("127.0.0.1", self.port, cookie_file=path).getblockcount(), 12)
        finally:
            os.remove(path)

    def test_error_mapping(self):
        with self.assertRaises(JSONRPCException) as cm:
            self.client().sendrawtransaction("00")
        self.assertEqual(cm.exception.code, -26)
        self.assertEqual(cm.exception.message, "bad-signature: no")
        self.assertEqual(cm.exception.data, {"reason": "bad-signature"})
        with self.assertRaises(JSONRPCException) as cm:
            self.client().nosuchmethod()
        self.assertEqual(cm.exception.code, -32601)

    def test_http_401(self):
        with self.assertRaises(JSONRPCException) as cm:
            self.client("wrong").getblockcount()
        self.assertIsNone(cm.exception.code)
        self.assertEqual(cm.exception.http_status, 401)

    def test_batch(self):
        out = self.client().batch([("getblockcount", []), ("sendrawtransaction", ["00"]), ("echo", [3])])
        self.assertEqual(out[0], 12)
        self.assertIsInstance(out[1], JSONRPCException)
        self.assertEqual(out[1].code, -26)
        self.assertEqual(out[2], [3])
        with self.assertRaises(JSONRPCException):
            self.client().batch([("sendrawtransaction", ["00"])], raise_errors=True)

    def test_connection_refused(self):
        with self.assertRaises(JSONRPCException) as cm:
            RPCClient("127.0.0.1", 1, timeout=2).getblockcount()
        self.assertIsNone(cm.exception.code)


if __name__ == "__main__":
    unittest.main(verbosity=1)
