#!/usr/bin/env python3
"""Writes the seed corpus of the frame_decoder fuzz target (tests/fuzz/corpus/frame_decoder).

    python3 tests/fuzz/make_frame_corpus.py tests/fuzz/corpus/frame_decoder

Its payloads are written from docs/PROTOCOL.md alone, without the C++ code, so the corpus
doubles as a check that the document is enough to build frames a Tally node accepts (the replay run decodes
every valid entry and checks that it re-encodes to the same bytes).

Each entry is one byte that seeds how the fuzz target cuts the stream into chunks, followed
by the stream: whole frames, a few near-misses, and a few bare payloads (which the target
also decodes directly as every message type).
"""
import os
import struct
import sys

# The encodings every Python tool shares (compact sizes, frames and their checksums) come
# from the functional test framework's messages module, the one Python definition of the
# wire; the payloads below are written from docs/PROTOCOL.md.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from tally_framework.messages import DEVNET_MAGIC as MAGIC  # noqa: E402
from tally_framework.messages import encode_frame  # noqa: E402
from tally_framework.messages import ser_compact_size as compact_size  # noqa: E402

(VERSION, VERACK, PING, PONG, GETADDR, ADDR, INV, GETDATA, NOTFOUND, TX, GETHEADERS, HEADERS, BLOCK, SENDCMPCT,
 CMPCTBLOCK, GETBLOCKTXN, BLOCKTXN) = range(1, 18)


def frame(msg_type, payload, magic=MAGIC):
    return encode_frame(magic, msg_type, payload)


def h(k):
    return bytes((k + i) % 256 for i in range(32))


def version(user_agent=b"/tally-corpus:1/"):
    return (struct.pack("<II", 2, 7077) + h(9) + struct.pack("<IHQ", 1234, 9333, 0x0123456789ABCDEF)
            + compact_size(len(user_agent)) + user_agent)


def tx(k):
    # chain_id | sender 32 | recipient 20 | amount | fee | nonce | signature 64
    return (struct.pack("<I", 7077) + h(k) + h(k + 1)[:20] + struct.pack("<QQQ", 1000 + k, 1000, k)
            + (h(k + 2) + h(k + 3)))


def header(height):
    # version | height | prev_hash | tx_root | state_root | time | bits | nonce
    return (struct.pack("<II", 1, height) + h(height) + h(height + 40) + h(height + 80)
            + struct.pack("<III", 1764028800 + 5 * height, 0x1E0FFFFF, 0xDEADBEEF))


def block(n_txs):
    return header(7) + compact_size(n_txs) + b"".join(tx(i) for i in range(n_txs))


def sendcmpct(high_bandwidth):
    return bytes([high_bandwidth]) + struct.pack("<Q", 1)


def short_id(k):
    return struct.pack("<Q", 0x0000A1B2C3D4E5F0 + k)[:6]


def cmpctblock(n_short, prefilled):
    # header | nonce | short ids | prefilled (index as the difference to the previous + 1, tx)
    out = header(7) + struct.pack("<Q", 0x5EED) + compact_size(n_short) + b"".join(short_id(k) for k in range(n_short))
    out += compact_size(len(prefilled))
    previous = -1
    for index in prefilled:
        out += compact_size(index - previous - 1) + tx(index)
        previous = index
    return out


def getblocktxn(indexes):
    out = h(7) + compact_size(len(indexes))
    previous = -1
    for index in indexes:
        out += compact_size(index - previous - 1)
        previous = index
    return out


def blocktxn(n_txs):
    return h(7) + compact_size(n_txs) + b"".join(tx(i) for i in range(n_txs))


def ipv4_mapped(a, b, c, d):
    return bytes(10) + b"\xff\xff" + bytes([a, b, c, d])


def addr(entries):
    # entry: ip 16 | port u16 | last_seen u32 | flags u8 (bit 0: a 33-byte node key follows)
    out = compact_size(len(entries))
    for entry in entries:
        ip, port, seen = entry[:3]
        key = entry[3] if len(entry) > 3 else None
        out += ip + struct.pack("<HI", port, seen) + (b"\x01" + key if key else b"\x00")
    return out


def items(pairs):
    return compact_size(len(pairs)) + b"".join(bytes([t]) + h(k) for t, k in pairs)


def getheaders(locator, stop):
    return compact_size(len(locator)) + b"".join(h(k) for k in locator) + h(stop)


def headers(n):
    return compact_size(n) + b"".join(header(i + 1) for i in range(n))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_frame_corpus.py <corpus dir>")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    ping = frame(PING, struct.pack("<Q", 0x1122334455667788))
    v6 = bytes.fromhex("20010db8000000000000000000000001")
    all_types = [
        frame(VERSION, version()),
        frame(VERACK, b""),
        ping,
        frame(PONG, struct.pack("<Q", 0x1122334455667788)),
        frame(GETADDR, b""),
        frame(ADDR, addr([(ipv4_mapped(10, 0, 0, 1), 9333, 1764028800), (v6, 18444, 42, b"\x02" + h(11))])),
        frame(INV, items([(1, 1), (2, 2)])),
        frame(GETDATA, items([(2, 3)])),
        frame(NOTFOUND, items([(1, 4), (1, 5)])),
        frame(TX, tx(9)),
        frame(GETHEADERS, getheaders([1, 2, 3], 0)),
        frame(HEADERS, headers(3)),
        frame(BLOCK, block(2)),
        frame(SENDCMPCT, sendcmpct(1)),
        frame(CMPCTBLOCK, cmpctblock(3, [0, 2])),
        frame(GETBLOCKTXN, getblocktxn([1, 3, 4])),
        frame(BLOCKTXN, blocktxn(2)),
    ]
    entries = {
        "handshake": b"\x00" + all_types[0] + all_types[1],
        "ping_pong": b"\x01" + ping + all_types[3],
        "all_types": b"\x02" + b"".join(all_types),
        "inventory": b"\x03" + b"".join(all_types[6:10]),
        "sync": b"\x04" + all_types[10] + all_types[11] + all_types[12],
        "addr": b"\x05" + all_types[5] + all_types[4],
        "empty_lists": b"\x06" + frame(INV, items([])) + frame(HEADERS, headers(0)) + frame(ADDR, addr([])),
        # Near-misses: each stops the decoder with one error.
        "bad_magic": b"\x07" + frame(PING, bytes(8), magic=MAGIC ^ 1),
        "unknown_type": b"\x08" + frame(18, b""),
        "oversized": b"\x09" + struct.pack("<IBII", MAGIC, PING, 9, 0) + bytes(9),
        "bad_checksum": b"\x0a" + ping[:-1] + bytes([ping[-1] ^ 1]),
        "malformed": b"\x0b" + frame(INV, items([(3, 1)])),
        "non_printable_agent": b"\x0c" + frame(VERSION, version(b"bad\nagent")),
        "truncated": b"\x0d" + ping + all_types[12][:200],
        # Bare payloads, for the direct decode_payload check.
        "payload_version": b"\x0e" + version(),
        "payload_addr": b"\x0f" + addr([(ipv4_mapped(127, 0, 0, 1), 1, 0)]),
        "payload_inv": b"\x10" + items([(1, 7), (2, 8), (1, 9)]),
        "payload_tx": b"\x11" + tx(3),
        "payload_getheaders": b"\x12" + getheaders([5], 6),
        "payload_headers": b"\x13" + headers(2),
        "payload_block": b"\x14" + block(1),
        "compact": b"\x15" + b"".join(all_types[13:17]),
        "cmpct_index_out_of_range": b"\x16" + frame(CMPCTBLOCK, cmpctblock(1, [0, 5])),
        "payload_cmpctblock": b"\x17" + cmpctblock(2, [0]),
        "payload_getblocktxn": b"\x18" + getblocktxn([0, 1, 300]),
        "addr_bad_flags": b"\x19" + frame(ADDR, compact_size(1) + ipv4_mapped(10, 0, 0, 2) + struct.pack("<HIB", 9, 7, 2)),
        "addr_bad_key": b"\x1a" + frame(ADDR, addr([(ipv4_mapped(10, 0, 0, 3), 9, 7, b"\x04" + h(3))])),
    }
    for name, data in entries.items():
        assert len(data) <= 4096, name
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
