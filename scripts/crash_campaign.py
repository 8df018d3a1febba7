#!/usr/bin/env python3
"""Crash-safety campaign for tallyd (issue 15). Run through scripts/crash-campaign.sh.

Kill loop. A peer node B (its own datadir, running throughout) holds a longer chain made
with its `generate` RPC and keeps generating short bursts from a background thread. The
victim A (`--mine 1`, `--connect B`) is started again and again on the same datadir; in each
round it gets transactions over RPC (signed offline by `tally-cli sign`, sent with
`sendrawtransaction`) from a background thread, syncs B's blocks and mines its own, and is
SIGKILLed at a random instant (some rounds very early, before RPC answers). After every
start: A must answer RPC within --answer-timeout seconds (the time to the first answer is
recorded) and its height must be at least the highest height it ever reported (a reported
height was committed). At the end A is stopped cleanly, and a fresh node C syncs from A
alone: both must agree on the tip, on the state root and on every devnet account (A and B
are compared too, before B stops).

The chain spec is genesis/devnet.json with proof-of-work at the limit, a 1 s block interval
and a 10 s ASERT half-life (name tally-crash, chain id 7277): real nonce search and ASERT,
but blocks in milliseconds at first, so a round sees many of them. The devnet keys are
funded, so tally-cli signs for them.

--disk-full (root): a node on a 16 MiB tmpfs datadir, the free space then taken by a filler
file, mines and accepts blocks until a write fails. It must stop by itself with a non-zero
exit status and an error naming the disk problem on stderr (no signal, no hang); after
the tmpfs is grown (mount -o remount,size=...) it must open with a height at least the last
it reported, and go on mining.

--corrupt: copies of a datadir stopped cleanly get one byte flipped in the middle of the
largest SST file, a truncated SST, a flipped byte in the MANIFEST, a CURRENT naming a missing
MANIFEST, and a flipped byte in the middle of the write-ahead log; tallyd must refuse each
(non-zero exit, an error naming the datadir, and the file where RocksDB names it) or, if it
opens, serve exactly the original ledger.
"""

import argparse
import base64
import glob
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class RpcError(Exception):
    pass


class Rpc:
    """JSON-RPC over HTTP/1.1 with Basic auth; a new connection per call."""

    def __init__(self, port, user, password, timeout=10.0):
        self.port = port
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.timeout = timeout

    def call(self, method, *params, timeout=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout or self.timeout)
        try:
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
            conn.request("POST", "/", body, {"Content-Type": "application/json", "Authorization": self.auth})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        try:
            doc = json.loads(data)
        except ValueError:
            raise RpcError(f"{method}: HTTP {resp.status}: {data[:200]!r}")
        if doc.get("error"):
            raise RpcError(f"{method}: {doc['error']}")
        return doc.get("result")


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class Node:
    """One tallyd on a datadir with fixed loopback ports and fixed RPC credentials."""

    def __init__(self, name, bindir, datadir, spec, p2p_port, rpc_port, extra=()):
        self.name = name
        self.tallyd = os.path.join(bindir, "tallyd")
        self.datadir = datadir
        self.spec = spec
        self.p2p_port = p2p_port
        self.rpc_port = rpc_port
        self.extra = list(extra)
        self.user, self.password = "crash", base64.b16encode(os.urandom(12)).decode().lower()
        self.rpc = Rpc(rpc_port, self.user, self.password)
        self.proc = None
        self.stderr_path = datadir + ".stderr"
        self.starts = 0

    def argv(self, extra=()):
        return [self.tallyd, "--datadir", self.datadir, "--chain", self.spec, "--bind", "127.0.0.1",
                "--port", str(self.p2p_port), "--rpcport", str(self.rpc_port), "--rpcuser", self.user,
                "--rpcpassword", self.password, "--printtoconsole", "0", *self.extra, *extra]

    def start(self, extra=()):
        os.makedirs(self.datadir, exist_ok=True)
        self.starts += 1
        err = open(self.stderr_path, "ab")
        err.write(f"--- start {self.starts} at {time.time():.3f}\n".encode())
        err.flush()
        self.proc = subprocess.Popen(self.argv(extra), stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                     start_new_session=True, close_fds=True)
        err.close()
        self.started_at = time.monotonic()
        return self.proc

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_answer(self, timeout):
        """Polls getblockchaininfo until it answers; (seconds since start, info) or (None, why)."""
        deadline = self.started_at + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return None, f"exited with status {self.proc.returncode} before answering: {self.stderr_tail()}"
            try:
                info = self.rpc.call("getblockchaininfo", timeout=2)
                return time.monotonic() - self.started_at, info
            except (OSError, RpcError, http.client.HTTPException) as e:
                last = str(e)
            time.sleep(0.01)
        return None, f"no RPC answer within {timeout} s (last: {last})"

    def kill9(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        rc = self.proc.wait()
        self.proc = None
        return rc

    def stop(self, timeout=30):
        """RPC stop, then SIGTERM, then SIGKILL; the exit status (negative: a signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.rpc.call("stop", timeout=5)
            except (OSError, RpcError, http.client.HTTPException):
                os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.kill(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def stderr_tail(self, n=600):
        try:
            with open(self.stderr_path, "rb") as f:
                data = f.read()
            return data[-n:].decode(errors="replace").strip().replace("\n", " | ")
        except OSError:
            return ""


def write_spec(path):
    with open(os.path.join(ROOT, "genesis", "devnet.json")) as f:
        spec = json.load(f)
    spec.update({"name": "tally-crash", "chain_id": 7277, "genesis_bits": "0x207fffff", "pow_limit_bits": "0x207fffff",
                 "block_interval_s": 1, "asert_half_life_s": 10})
    with open(path, "w") as f:
        json.dump(spec, f, indent=2)


def devnet_addresses():
    with open(os.path.join(ROOT, "genesis", "devnet-keys.json")) as f:
        return [k["address"] for k in json.load(f)["keys"]]


class TxSender(threading.Thread):
    """Signs transfers between devnet keys with `tally-cli sign` and sends them to a node."""

    def __init__(self, cli, spec, node, rng, addresses, period):
        super().__init__(daemon=True)
        self.cli, self.spec, self.node, self.rng, self.addresses, self.period = cli, spec, node, rng, addresses, period
        self.stop_event = threading.Event()
        self.sent = self.rejected = self.failed = 0

    def run(self):
        while not self.stop_event.is_set():
            k = self.rng.randrange(len(self.addresses))
            to = self.addresses[(k + 1 + self.rng.randrange(len(self.addresses) - 1)) % len(self.addresses)]
            try:
                nonce = self.node.rpc.call("getaccount", self.addresses[k], timeout=3)["pending_nonce"]
                out = subprocess.run([self.cli, "--chain", self.spec, "sign", "--key", f"devnet:{k}", "--to", to,
                                      "--amount", str(1 + self.rng.randrange(1000)), "--fee",
                                      str(1000 + self.rng.randrange(1000)), "--nonce", str(nonce)],
                                     capture_output=True, text=True, timeout=10)
                if out.returncode != 0:
                    raise RpcError("tally-cli sign: " + out.stderr.strip())
                self.node.rpc.call("sendrawtransaction", out.stdout.strip(), timeout=3)
                self.sent += 1
            except RpcError:
                self.rejected += 1
            except (OSError, http.client.HTTPException, subprocess.TimeoutExpired):
                self.failed += 1  # the node is down or being killed
            self.stop_event.wait(self.period)


class Generator(threading.Thread):
    """Makes B generate bursts of blocks, so A has blocks to sync after each restart."""

    def __init__(self, node, rng, address):
        super().__init__(daemon=True)
        self.node, self.rng, self.address = node, rng, address
        self.stop_event = threading.Event()
        self.blocks = 0
        self.throttled = 0  # no template: the chain's time ran too far ahead of the clock
        self.errors = []

    def run(self):
        while not self.stop_event.is_set():
            try:
                self.blocks += len(self.node.rpc.call("generate", 1 + self.rng.randrange(3), self.address, timeout=120))
            except RpcError as e:
                if "cannot build a block template" in str(e):
                    self.throttled += 1
                else:
                    self.errors.append(str(e))
            except (OSError, http.client.HTTPException) as e:
                self.errors.append(str(e))
            if len(self.errors) > 50:
                return
            self.stop_event.wait(self.rng.uniform(0.2, 2.0))


def wait_for(pred, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return True
        except (OSError, RpcError, http.client.HTTPException):
            pass
        time.sleep(step)
    return False


class Campaign:
    def __init__(self, args):
        self.args = args
        self.violations = []
        self.notes = []

    def violation(self, msg):
        log("VIOLATION: " + msg)
        self.violations.append(msg)

    # ---------------------------------------------------------------- kill loop
    def kill_loop(self):
        a = self.args
        rng = random.Random(a.seed)
        work = a.workdir
        spec = os.path.join(work, "spec.json")
        write_spec(spec)
        cli = os.path.join(a.bin, "tally-cli")
        addresses = devnet_addresses()
        pa, ra, pb, rb, pc, rc = free_ports(6)
        B = Node("B", a.bin, os.path.join(work, "B"), spec, pb, rb, ["--mine", "0"])
        A = Node("A", a.bin, os.path.join(work, "A"), spec, pa, ra,
                 ["--mine", "1", "--minethreads", "1", "--connect", f"127.0.0.1:{pb}"])
        self.nodes = [A, B]
        B.start()
        t, info = B.wait_answer(a.answer_timeout)
        if t is None:
            self.violation("B: " + info)
            return
        lead = a.lead
        log(f"B up (p2p {pb}, rpc {rb}); generating its {lead}-block lead")
        B.rpc.call("generate", lead, addresses[1], timeout=600)
        log(f"B at height {B.rpc.call('getblockcount')}")
        gen = Generator(B, random.Random(rng.random()), addresses[2])
        gen.start()

        highest = -1        # the highest height A ever reported
        answer_times = []   # seconds from spawn to the first RPC answer
        kinds = {"early": 0, "running": 0}
        sent = rejected = 0
        t0 = time.monotonic()
        for i in range(1, a.kills + 1):
            A.start()
            early = rng.random() < 0.15
            if early:
                # Killed during startup (opening RocksDB, rechecking the tip, starting
                # transport and RPC), before it answers.
                kinds["early"] += 1
                time.sleep(rng.uniform(0, 0.35))
            else:
                kinds["running"] += 1
                t, info = A.wait_answer(a.answer_timeout)
                if t is None:
                    self.violation(f"kill {i}: A did not open/answer: {info}")
                    A.kill9()
                    break
                answer_times.append(t)
                h = info["blocks"]
                if h < highest:
                    self.violation(f"kill {i}: A reports height {h} after restart, below {highest} it had reported "
                                   f"(tip {info['bestblockhash']})")
                highest = max(highest, h)
                # A runs for a random while: txs sent, B's blocks synced, its own mined.
                sender = TxSender(cli, spec, A, random.Random(rng.random()), addresses, 0.05)
                sender.start()
                deadline = time.monotonic() + rng.choice([rng.uniform(0, 0.15), rng.uniform(0, 1.2)])
                while time.monotonic() < deadline:
                    if not A.running():
                        break
                    try:
                        h2 = A.rpc.call("getblockchaininfo", timeout=2)["blocks"]
                        if h2 < highest:
                            self.violation(f"kill {i}: A reports height {h2} while running, below {highest}")
                        highest = max(highest, h2)
                    except (OSError, RpcError, http.client.HTTPException):
                        pass
                    time.sleep(rng.uniform(0, 0.05))
                sender.stop_event.set()
            if not A.running():
                self.violation(f"kill {i}: A exited by itself with status {A.proc.returncode}: {A.stderr_tail()}")
                A.kill9()
                break
            A.kill9()
            if not early:
                sender.join(5)
                sent += sender.sent
                rejected += sender.rejected
            if i % 50 == 0 or i == a.kills:
                el = time.monotonic() - t0
                med = statistics.median(answer_times) if answer_times else 0
                log(f"{i}/{a.kills} kills, {el:.0f} s ({el / i:.2f} s/kill), A highest height {highest}, "
                    f"B generated {gen.blocks}, txs sent {sent} ({rejected} rejected), first answer median "
                    f"{med * 1000:.0f} ms max {max(answer_times, default=0) * 1000:.0f} ms, "
                    f"violations {len(self.violations)}")
            if self.violations and not a.keep_going:
                break
        loop_s = time.monotonic() - t0
        gen.stop_event.set()
        gen.join(180)
        if gen.errors:
            self.notes.append(f"B's generate failed {len(gen.errors)} times (last: {gen.errors[-1]})")
        self.notes.append(f"B's generate found no template {gen.throttled} times (chain time too far ahead)")
        self.kill_stats = dict(kills=i, seconds=loop_s, answer_times=answer_times, highest=highest, kinds=kinds,
                               txs_sent=sent, txs_rejected=rejected, b_blocks=gen.blocks + lead)
        if self.violations:
            B.stop()
            return

        # ------------------------------------------------------------ final agreement
        log("final: A restarts without mining; A and B must agree")
        A.extra = ["--mine", "0", "--connect", f"127.0.0.1:{pb}"]
        A.start()
        t, info = A.wait_answer(a.answer_timeout)
        if t is None:
            self.violation("final start: A did not open/answer: " + info)
            B.stop()
            return
        if info["blocks"] < highest:
            self.violation(f"final start: A reports height {info['blocks']}, below {highest}")
        # Equal-height forks are ties; one more block on B settles them.
        B.rpc.call("generate", 1, addresses[3], timeout=600)
        if not wait_for(lambda: A.rpc.call("getbestblockhash") == B.rpc.call("getbestblockhash"), 120):
            self.violation(f"A and B do not agree on the tip after 120 s: A {A.rpc.call('getblockchaininfo')} "
                           f"B {B.rpc.call('getblockchaininfo')}")
        b_info = B.rpc.call("getblockchaininfo")
        a_info = A.rpc.call("getblockchaininfo")
        if a_info["stateroot"] != b_info["stateroot"]:
            self.violation(f"A and B differ in state root at tip {a_info['bestblockhash']}")
        rc_b = B.stop()
        if rc_b != 0:
            self.violation(f"B's clean stop exited with {rc_b}")
        rc_a = A.stop()
        if rc_a != 0:
            self.violation(f"A's clean stop exited with {rc_a}: {A.stderr_tail()}")

        log("final: A alone; a fresh node C syncs from A only")
        A.extra = ["--mine", "0", "--connect", "127.0.0.1:1"]  # dials nobody useful, no discovery
        A.start()
        t, info = A.wait_answer(a.answer_timeout)
        if t is None:
            self.violation("A did not restart after its clean stop: " + info)
            return
        if info["bestblockhash"] != a_info["bestblockhash"]:
            self.violation(f"A's tip changed across a clean stop: {a_info['bestblockhash']} -> {info['bestblockhash']}")
        C = Node("C", a.bin, os.path.join(work, "C"), spec, pc, rc, ["--mine", "0", "--connect", f"127.0.0.1:{pa}"])
        self.nodes.append(C)
        C.start()
        if C.wait_answer(a.answer_timeout)[0] is None:
            self.violation("C did not start: " + C.stderr_tail())
        elif not wait_for(lambda: C.rpc.call("getbestblockhash") == a_info["bestblockhash"], 300, 0.25):
            self.violation(f"C did not reach A's tip in 300 s: C {C.rpc.call('getblockchaininfo')}")
        else:
            c_info = C.rpc.call("getblockchaininfo")
            self.final = dict(height=a_info["blocks"], tip=a_info["bestblockhash"], stateroot=a_info["stateroot"],
                              c_stateroot=c_info["stateroot"])
            if c_info["stateroot"] != a_info["stateroot"]:
                self.violation(f"A and C differ in state root: {a_info['stateroot']} vs {c_info['stateroot']}")
            for addr in addresses:
                x, y = A.rpc.call("getaccount", addr), C.rpc.call("getaccount", addr)
                if (x["balance"], x["nonce"]) != (y["balance"], y["nonce"]):
                    self.violation(f"account {addr}: A {x} vs C {y}")
            for h in sorted(rng.sample(range(a_info["blocks"] + 1), min(20, a_info["blocks"] + 1))):
                if A.rpc.call("getstatehash", h) != C.rpc.call("getstatehash", h):
                    self.violation(f"A and C differ at height {h}")
            log(f"A and C agree: height {a_info['blocks']}, tip {a_info['bestblockhash']}, "
                f"state root {a_info['stateroot']}")
        for n in (C, A):
            rc_n = n.stop()
            if rc_n != 0:
                self.violation(f"{n.name}'s clean stop exited with {rc_n}")

    # ---------------------------------------------------------------- disk full
    def disk_full(self):
        a = self.args
        if os.geteuid() != 0:
            msg = "--disk-full skipped: mounting a tmpfs needs root"
            log(msg)
            self.notes.append(msg)
            return
        work = a.workdir
        spec = os.path.join(work, "spec.json")
        if not os.path.exists(spec):
            write_spec(spec)
        mnt = os.path.join(work, "tmpfs")
        os.makedirs(mnt, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tally-crash", mnt], check=True)
        self.mounted = mnt
        try:
            self._disk_full_in(mnt, spec)
        finally:
            for n in getattr(self, "disk_nodes", []):
                if n.proc is not None:
                    n.kill9()
            subprocess.run(["umount", mnt])
            self.mounted = None

    def _disk_full_in(self, mnt, spec):
        a = self.args
        p, r = free_ports(2)
        D = Node("D", a.bin, os.path.join(mnt, "D"), spec, p, r, ["--mine", "0"])
        D.stderr_path = os.path.join(a.workdir, "D.stderr")  # outside the full disk
        self.disk_nodes = [D]
        D.start()
        t, info = D.wait_answer(a.answer_timeout)
        if t is None:
            self.violation("disk-full: D did not start: " + info)
            return
        addr = devnet_addresses()[4]
        D.rpc.call("generate", 20, addr, timeout=300)
        # Take the free space but a little: RocksDB's next WAL writes and flushes fail.
        st = os.statvfs(mnt)
        free = st.f_bavail * st.f_frsize
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * max(0, free - 96 * 1024))
        log(f"disk-full: D at height {D.rpc.call('getblockcount')}, {free // 1024} KiB were free, "
            f"{os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize // 1024} KiB left")
        highest = -1
        last_error = ""
        deadline = time.monotonic() + 120
        while D.running() and time.monotonic() < deadline:
            try:
                D.rpc.call("generate", 5, addr, timeout=60)
            except (OSError, RpcError, http.client.HTTPException) as e:
                last_error = str(e)
            try:
                highest = max(highest, D.rpc.call("getblockcount", timeout=2))
            except (OSError, RpcError, http.client.HTTPException):
                pass
        if D.running():
            self.violation(f"disk-full: D still runs 120 s after its disk filled (height {highest}, "
                           f"last RPC error: {last_error})")
            D.stop()
            return
        rc = D.proc.returncode
        tail = D.stderr_tail(2000)
        self.disk_result = dict(exit=rc, highest=highest, stderr=tail, last_rpc_error=last_error)
        log(f"disk-full: D stopped by itself with status {rc} at reported height {highest}; stderr: {tail}")
        D.proc = None
        if rc < 0:
            self.violation(f"disk-full: D died of signal {-rc}")
        elif rc == 0:
            self.violation("disk-full: D exited with status 0 after a storage failure")
        if "space" not in tail.lower():
            self.violation("disk-full: D's stderr does not say the disk is full")
        # Space back: grow the tmpfs, restart, same or higher height, and it goes on.
        subprocess.run(["mount", "-o", "remount,size=64m", mnt], check=True)
        D.start()
        t, info = D.wait_answer(a.answer_timeout)
        if t is None:
            self.violation("disk-full: D did not open after the disk grew: " + info)
            return
        if info["blocks"] < highest:
            self.violation(f"disk-full: D reports height {info['blocks']} after restart, below {highest}")
        after = len(D.rpc.call("generate", 5, addr, timeout=300))
        h2 = D.rpc.call("getblockcount")
        self.disk_result.update(restart_height=info["blocks"], after=h2)
        log(f"disk-full: D reopened at height {info['blocks']} (had reported {highest}) and mined {after} more: {h2}")
        if h2 != info["blocks"] + 5:
            self.violation(f"disk-full: D did not go on: height {h2} after generate 5 from {info['blocks']}")
        rc = D.stop()
        if rc != 0:
            self.violation(f"disk-full: D's clean stop after the restart exited with {rc}")

    # ---------------------------------------------------------------- corruption
    def corrupt(self):
        a = self.args
        work = a.workdir
        spec = os.path.join(work, "spec.json")
        if not os.path.exists(spec):
            write_spec(spec)
        p, r = free_ports(2)
        base_dir = os.path.join(work, "E0")
        E = Node("E", a.bin, base_dir, spec, p, r, ["--mine", "0"])
        E.start()
        if E.wait_answer(a.answer_timeout)[0] is None:
            self.violation("corrupt: E did not start: " + E.stderr_tail())
            return
        addr = devnet_addresses()[5]
        E.rpc.call("generate", 60, addr, timeout=300)
        good = E.rpc.call("getblockchaininfo")
        if E.stop() != 0:
            self.violation("corrupt: E's clean stop failed")
        # A clean stop leaves the last writes in RocksDB's write-ahead log (a copy keeps that
        # state for the log case); the next open replays them into an SST file. A second start
        # and stop makes sure there is one to damage.
        wal_base = os.path.join(work, "E0-wal")
        shutil.copytree(base_dir, wal_base)
        E.start()
        if E.wait_answer(a.answer_timeout)[0] is None or E.stop() != 0:
            self.violation("corrupt: E's second start and stop failed: " + E.stderr_tail())
        self.corrupt_results = []

        cases = ["sst-flip", "sst-truncate", "manifest-flip", "current-garbage", "wal-flip"]
        for case in cases:
            d = os.path.join(work, "E-" + case)
            shutil.copytree(wal_base if case.startswith("wal") else base_dir, d)
            chain = os.path.join(d, "chain")
            ssts = sorted(glob.glob(os.path.join(chain, "*.sst")), key=os.path.getsize)
            if case.startswith("sst") and not ssts:
                self.violation("corrupt: no SST file after a clean stop")
                continue
            if case == "sst-flip":
                target = ssts[-1]
                with open(target, "r+b") as f:
                    size = os.path.getsize(target)
                    f.seek(size // 3)
                    b = f.read(1)
                    f.seek(size // 3)
                    f.write(bytes([b[0] ^ 0x5A]))
            elif case == "sst-truncate":
                target = ssts[-1]
                os.truncate(target, os.path.getsize(target) // 2)
            elif case == "manifest-flip":
                target = sorted(glob.glob(os.path.join(chain, "MANIFEST-*")))[-1]
                with open(target, "r+b") as f:
                    size = os.path.getsize(target)
                    f.seek(size // 2)
                    b = f.read(1)
                    f.seek(size // 2)
                    f.write(bytes([b[0] ^ 0x5A]))
            elif case == "wal-flip":
                target = sorted(glob.glob(os.path.join(chain, "*.log")), key=os.path.getsize)[-1]
                with open(target, "r+b") as f:
                    size = os.path.getsize(target)
                    f.seek(size // 2)
                    b = f.read(1)
                    f.seek(size // 2)
                    f.write(bytes([b[0] ^ 0x5A]))
            else:
                target = os.path.join(chain, "CURRENT")
                with open(target, "w") as f:
                    f.write("MANIFEST-999999\n")
            F = Node("F", a.bin, d, spec, p, r, ["--mine", "0"])
            F.start()
            t, info = F.wait_answer(min(a.answer_timeout, 20))
            served = None
            if t is not None:
                # It opened: every block must still read back, and the ledger must equal the original.
                try:
                    served = F.rpc.call("getblockchaininfo")
                    for h in range(served["blocks"] + 1):
                        F.rpc.call("getblock", F.rpc.call("getblockhash", h), 2)
                except (OSError, RpcError, http.client.HTTPException) as e:
                    served = dict(error=str(e))
                F.stop()
            rc = F.proc.returncode if F.proc is not None else None
            if F.proc is not None:
                F.proc = None
            tail = F.stderr_tail(800)
            entry = dict(case=case, file=os.path.relpath(target, work), refused=t is None, exit=rc, stderr=tail,
                         served=served)
            self.corrupt_results.append(entry)
            log(f"corrupt {case} ({os.path.basename(target)}): " +
                (f"refused, exit {rc}: {tail}" if t is None else f"opened and served {served}"))
            if t is None:
                if rc is None or rc <= 0:
                    self.violation(f"corrupt {case}: tallyd ended with status {rc}")
                if d not in tail:
                    self.violation(f"corrupt {case}: the error does not name the datadir: {tail}")
            elif served and ("error" in served or served.get("bestblockhash") != good["bestblockhash"] or
                             served.get("stateroot") != good["stateroot"]):
                self.violation(f"corrupt {case}: served a ledger that differs from the original: {served}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kills", type=int, default=1000)
    p.add_argument("--bin", default=os.path.join(ROOT, "build", "release", "bin"))
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--workdir", default=None)
    p.add_argument("--lead", type=int, default=150, help="blocks B generates before the loop")
    p.add_argument("--answer-timeout", type=float, default=30.0, help="seconds a restart may take to answer RPC")
    p.add_argument("--disk-full", action="store_true")
    p.add_argument("--corrupt", action="store_true")
    p.add_argument("--only-checks", action="store_true", help="skip the kill loop")
    p.add_argument("--keep", action="store_true", help="keep the work dir")
    p.add_argument("--keep-going", action="store_true", help="go on after a violation")
    a = p.parse_args()
    if a.seed is None:
        a.seed = int.from_bytes(os.urandom(4), "little")
    a.bin = os.path.abspath(a.bin)
    for exe in ("tallyd", "tally-cli"):
        if not os.access(os.path.join(a.bin, exe), os.X_OK):
            sys.exit(f"crash-campaign: no {exe} in {a.bin} (build first, or pass --bin)")
    made = a.workdir is None
    a.workdir = os.path.abspath(a.workdir or tempfile.mkdtemp(prefix="tally-crash-"))
    os.makedirs(a.workdir, exist_ok=True)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    log(f"crash campaign: seed {a.seed}, kills {0 if a.only_checks else a.kills}, bin {a.bin}, "
        f"workdir {a.workdir}, commit {commit}")
    c = Campaign(a)
    c.nodes = []
    # SIGTERM (a CI timeout, kill) stops the nodes too: they run in their own sessions.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    interrupted = False
    try:
        if not a.only_checks and a.kills > 0:
            c.kill_loop()
        if a.disk_full:
            c.disk_full()
        if a.corrupt:
            c.corrupt()
    except KeyboardInterrupt:
        interrupted = True
        c.violation("interrupted")
    finally:
        for n in c.nodes + getattr(c, "disk_nodes", []):
            if n.proc is not None:
                n.kill9()
        if getattr(c, "mounted", None):
            subprocess.run(["umount", c.mounted])

    print("\n=== crash campaign summary ===")
    print(f"seed {a.seed}   commit {commit}   replay: scripts/crash-campaign.sh --seed {a.seed} --kills {a.kills}")
    ks = getattr(c, "kill_stats", None)
    if ks:
        at = ks["answer_times"]
        print(f"kills: {ks['kills']} ({ks['kinds']['early']} during startup, {ks['kinds']['running']} while running) "
              f"in {ks['seconds']:.0f} s ({ks['seconds'] / max(1, ks['kills']):.2f} s per kill)")
        if at:
            print(f"time to first RPC answer after a restart: min {min(at) * 1000:.0f} ms, median "
                  f"{statistics.median(at) * 1000:.0f} ms, max {max(at) * 1000:.0f} ms (n={len(at)})")
        print(f"A's highest reported height {ks['highest']}; B generated {ks['b_blocks']} blocks; "
              f"transactions accepted by A {ks['txs_sent']}, rejected {ks['txs_rejected']}")
    if getattr(c, "final", None):
        f = c.final
        print(f"final: A and C agree at height {f['height']}, tip {f['tip']}, state root {f['stateroot']}")
    if getattr(c, "disk_result", None):
        print(f"disk full: {json.dumps(c.disk_result)}")
    for r in getattr(c, "corrupt_results", []):
        print(f"corrupt: {json.dumps(r)}")
    for n in c.notes:
        print("note: " + n)
    print(f"violations: {len(c.violations)}")
    for v in c.violations:
        print("  - " + v)
    if (c.violations or a.keep) or interrupted:
        print(f"work dir kept: {a.workdir}")
    elif made:
        shutil.rmtree(a.workdir, ignore_errors=True)
    sys.exit(1 if c.violations else 0)


if __name__ == "__main__":
    main()
