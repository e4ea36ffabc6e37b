#!/usr/bin/env python3
"""`teu run --rm busybox true` vs `podman run --rm` vs `docker run --rm`, all --network none.

Each round runs every engine once, in a shuffled order, so drift hits all alike; prints
medians and the ratios to podman and docker. The engines have private storage with the
same busybox image (see _engine_peers.py); dockerd is started here and stopped after.
Results go to stdout as a markdown table.

    python3 bench/engine_run.py [--rounds 30] [--engines teu,podman,docker]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _engine_peers import available, busybox_tar, make  # noqa: E402


def time_once(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                   env=env)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--engines", default="teu,podman,docker")
    args = ap.parse_args()
    wanted = [e for e in args.engines.split(",") if e]
    with tempfile.TemporaryDirectory(prefix="teu-bench-engine-") as top:
        tarball = busybox_tar(os.path.join(top, "busybox.tar"))
        peers = []
        try:
            for name in wanted:
                if not available(name):
                    print(f"skipping {name}: not installed", file=sys.stderr)
                    continue
                peers.append(make(name, top, tarball))
            image = {"podman": "localhost/busybox"}
            cmds = {p.name: (p.run_cmd("--rm", image.get(p.name, "busybox"), "true"), p.env)
                    for p in peers}
            for _ in range(args.warmup):
                for cmd, env in cmds.values():
                    time_once(cmd, env)
            times: dict[str, list[float]] = {name: [] for name in cmds}
            for _ in range(args.rounds):
                order = list(cmds)
                random.shuffle(order)
                for name in order:
                    times[name].append(time_once(*cmds[name]))
        finally:
            for p in peers:
                p.stop()
    med = {name: statistics.median(t) * 1000 for name, t in times.items()}
    print(f"{args.rounds} rounds, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}\n")
    heads = ["engine", "median", "min"] + [f"vs {n}" for n in ("podman", "docker") if n in med]
    print("| " + " | ".join(heads) + " |")
    print("|" + "---|" * len(heads))
    for name, t in times.items():
        row = [name, f"{med[name]:.1f} ms", f"{min(t) * 1000:.1f} ms"]
        row += [f"{med[name] / med[n]:.2f}x" for n in ("podman", "docker") if n in med]
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
