#!/usr/bin/env python3
"""Memory an engine keeps beside idle detached containers: PSS of every process of the
engine (monitors such as conmon or containerd-shim, daemons, any teu), with 10
`sleep` containers running, per container. The containers' own processes are not
counted. PSS (proportional set size, /proc/PID/smaps_rollup) shares pages fairly
between the processes that map them, so 10 conmons cost what they really add.

    python3 bench/engine_idle_memory.py [--containers 10] [--engines teu,podman,docker]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _engine_peers import available, busybox_tar, make  # noqa: E402

from teu.bench import procs  # noqa: E402
from teu.bench.procs import pss_kib  # noqa: E402

DAEMONS = ("dockerd", "containerd")


def engine_processes(top: str) -> list[tuple[int, str]]:
    """(pid, program name) of processes whose command line names our directory."""
    t = procs.table()
    return [(p, procs.name(p, t)) for p in procs.mentioning(top, t)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--containers", type=int, default=10)
    ap.add_argument("--engines", default="teu,podman,docker")
    args = ap.parse_args()
    results = []
    for name in [e for e in args.engines.split(",") if e]:
        if not available(name):
            print(f"skipping {name}: not installed", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory(prefix=f"teu-bench-mem-{name}-") as top:
            tarball = busybox_tar(os.path.join(top, "busybox.tar"))
            peer = make(name, top, tarball)
            try:
                image = "localhost/busybox" if name == "podman" else "busybox"
                for _ in range(args.containers):
                    subprocess.run(peer.run_cmd("-d", image, "sleep", "600"), env=peer.env,
                                   check=True, stdout=subprocess.DEVNULL,
                                   stdin=subprocess.DEVNULL)
                time.sleep(2)  # let exit commands, shims and daemons settle
                procs = engine_processes(top)
                monitors = [(p, n) for p, n in procs if not n.startswith(DAEMONS)
                            or n.startswith("containerd-shim")]
                daemons = [(p, n) for p, n in procs if (p, n) not in monitors]
                mon_kib = sum(pss_kib(p) for p, _ in monitors)
                dae_kib = sum(pss_kib(p) for p, _ in daemons)
                names = sorted({n for _, n in monitors})
                results.append((name, len(monitors), names, mon_kib, dae_kib))
            finally:
                if name == "teu":
                    ids = subprocess.run(peer.cmd("ps", "-aq"), env=peer.env,
                                         capture_output=True, text=True).stdout.split()
                    subprocess.run(peer.cmd("rm", "-f", *ids), env=peer.env,
                                   capture_output=True)
                peer.stop()
    n = args.containers
    print(f"{n} idle containers (`sleep 600`, detached) per engine, PSS in MiB\n")
    print("| engine | processes beside the containers | per container | daemons |")
    print("|---|---|---|---|")
    for name, count, names, mon, dae in results:
        print(f"| {name} | {count} ({', '.join(names)}) | {mon / 1024 / n:.2f} MiB | "
              f"{dae / 1024:.1f} MiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
