#!/usr/bin/env python3
"""Checks that the build enforces the layer order (cmake/Layers.cmake).

For each library it takes the compile command of one of its own sources from
compile_commands.json, compiles (syntax only) a one-line file in its place that includes a
header of a layer it must not see, and expects "No such file"; and, as a control, one that
includes a header it may see, and expects success. Usage: check_layers.py BUILD_DIR SOURCE_DIR
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

# (a source file of the library, headers it may include, headers it must not)
CASES = [
    ("base/files.cpp", ["base/units.h"], ["crypto/hex.h", "events/event.h"]),
    ("events/event.cpp", ["events/control_event.h", "base/files.h"], ["crypto/hex.h", "p2p/net_events.h"]),
    ("crypto/hex.cpp", ["crypto/sha256.h"], ["ledger/block.h", "base/files.h"]),
    ("ledger/chain.cpp", ["crypto/hex.h", "ledger/store.h"], ["p2p/net_core.h", "rpc/node_api.h", "node/node.h"]),
    ("p2p/net_core.cpp", ["ledger/chain.h", "events/event.h"], ["rpc/node_api.h", "node/node.h", "base/files.h"]),
    ("rpc/json_rpc.cpp", ["p2p/net_core.h", "rpc/node_api.h"], ["node/node.h", "devnet/devnet.h", "study/report.h"]),
    ("rpc/rpc_client.cpp", ["crypto/base64.h", "rpc/auth.h"], ["ledger/chain.h", "p2p/net_core.h", "node/node.h"]),
    ("node/node.cpp", ["rpc/http_server.h", "ledger/rocksdb_store.h"], ["devnet/devnet.h", "cli/args.h", "study/report.h"]),
    ("cli/args.cpp", ["rpc/rpc_client.h", "rpc/ledger_json.h"], ["node/node.h", "p2p/net_core.h", "rpc/node_api.h"]),
    ("devnet/devnet.cpp", ["rpc/rpc_client.h", "support/ports.h", "events/control_event.h"],
     ["node/node.h", "node/config.h", "p2p/net_core.h"]),
    ("study/report.cpp", ["events/event.h", "base/files.h"], ["node/node.h", "ledger/chain.h", "devnet/devnet.h"]),
    ("sim/simulator.cpp", ["p2p/net_core.h", "scenario/scenario.h", "support/proc_status.h"],
     ["node/node.h", "devnet/devnet.h", "rpc/node_api.h", "study/report.h"]),
    ("support/ports.cpp", ["base/files.h"], ["ledger/chain.h", "node/node.h"]),
]


def main() -> int:
    build, source = sys.argv[1], os.path.realpath(sys.argv[2])
    with open(os.path.join(build, "compile_commands.json")) as f:
        commands = {os.path.realpath(e["file"]): e for e in json.load(f)}
    failures = 0
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        for src, allowed, forbidden in CASES:
            entry = commands.get(os.path.join(source, src))
            if entry is None:
                print(f"FAIL {src}: not in compile_commands.json")
                failures += 1
                continue
            args = shlex.split(entry["command"])
            if os.path.basename(args[0]) == "ccache":
                args = args[1:]
            # Drop the output and dependency-file options and the source; compile syntax only.
            kept, skip = [], False
            for a in args:
                if skip:
                    skip = False
                    continue
                if a in ("-o", "-MF", "-MT", "-MQ", "-c"):
                    skip = a != "-c"
                    continue
                if a in ("-MD", "-MMD") or os.path.realpath(a) == os.path.join(source, src):
                    continue
                kept.append(a)
            for header, expect_ok in [(h, True) for h in allowed] + [(h, False) for h in forbidden]:
                probe = os.path.join(tmp, "probe.cpp")
                with open(probe, "w") as p:
                    p.write(f'#include "{header}"\n')
                r = subprocess.run(kept + ["-fsyntax-only", probe], cwd=entry["directory"],
                                   capture_output=True, text=True)
                checked += 1
                ok = r.returncode == 0
                if expect_ok and not ok:
                    print(f"FAIL {src}: may include {header} but cannot:\n{r.stderr[:2000]}")
                    failures += 1
                elif not expect_ok and ok:
                    print(f"FAIL {src}: must not see {header}, yet it compiles")
                    failures += 1
                elif not expect_ok and "No such file" not in r.stderr:
                    print(f"FAIL {src}: including {header} failed, but not as a missing file:\n{r.stderr[:2000]}")
                    failures += 1
                else:
                    print(f"ok   {src}: {'sees' if expect_ok else 'cannot see'} {header}")
    print(f"{checked - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
