#!/usr/bin/env python3
"""The round trip of one trivial call through teu.api's fork server (submit, the worker's
fork, its outcome): what every containers.run/exec_run/sandbox call pays on top of its
own work. The first call (the server's spawn) is not counted.

With --against DIR (a checkout of another teu, e.g. `git worktree add /tmp/old HEAD~1`),
runs of both alternate, each a fresh process, and the ratio of the medians is printed.

    python3 bench/api_roundtrip.py [--rounds 6] [--calls 200] [--against DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

ONE_RUN = """
import functools, json, os, sys, time
from teu.api.child import in_child
fn = functools.partial(os.getpid)
in_child(fn)  # the server's spawn
times = []
for _ in range(int(sys.argv[1])):
    t = time.perf_counter()
    in_child(fn)
    times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def one_run(src: str | None, calls: int) -> list[float]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.path.join(src, "src")
    out = subprocess.run([sys.executable, "-c", ONE_RUN, str(calls)], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--against", help="another teu checkout, run alternating")
    args = ap.parse_args()
    sides = {"this": None} | ({"other": args.against} if args.against else {})
    got: dict[str, list[float]] = {name: [] for name in sides}
    for r in range(args.rounds):
        order = list(sides) if r % 2 == 0 else list(reversed(sides))
        for name in order:
            got[name] += one_run(sides[name], args.calls)
    print(f"load average {os.getloadavg()[0]:.1f}; {args.rounds} rounds x {args.calls} calls")
    for name, times in got.items():
        times.sort()
        print(f"{name:6} median {statistics.median(times) * 1e3:6.2f} ms  "
              f"p90 {times[int(len(times) * 0.9)] * 1e3:6.2f} ms")
    if args.against:
        print(f"this/other {statistics.median(got['this']) / statistics.median(got['other']):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
