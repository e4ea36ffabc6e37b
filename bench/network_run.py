#!/usr/bin/env python3
"""`teu run --rm busybox true` on teu's default bridge vs `podman run --rm` on podman's
default network (CNI: bridge, portmap, firewall, tuning), both inside one test host,
alternating, medians; `teu run --network none` beside them for what the network costs.

--publish adds `-p 8080:80` runs: teu's (the loopback fast path's tc programs and map
element, and the nftables elements), teu's with TEU_PORT_FASTPATH=0 (the nftables
elements alone) and podman's (CNI portmap): what publishing a port adds to a start.

    python3 bench/network_run.py [--rounds 15] [--publish]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _engine_peers import ULIMITS, Podman, Teu, busybox_tar  # noqa: E402
from _test_host import TestHost  # noqa: E402


def timed(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--publish", action="store_true", help="add -p 8080:80 runs")
    args = ap.parse_args()
    host = TestHost()
    with tempfile.TemporaryDirectory(prefix="teu-netbench-") as top:
        tarball = busybox_tar(os.path.join(top, "busybox.tar"))
        teu, podman = Teu(top, tarball), Podman(top, tarball)
        teu.env["TEU_NETWORK"] = "bridge"
        cases = {
            "teu bridge": (host.prefix + teu.cmd("run", "--rm", "busybox", "true"), teu.env),
            "teu none": (host.prefix + teu.cmd("run", "--rm", "--network", "none", "busybox",
                                               "true"), teu.env),
            "podman bridge": (host.prefix + podman.cmd("run", "--rm", *ULIMITS,
                                                       "localhost/busybox", "true"),
                              podman.env),
        }
        if args.publish:
            run_p = ("run", "--rm", "-p", "8080:80", "busybox", "true")
            cases["teu -p"] = (host.prefix + teu.cmd(*run_p), teu.env)
            cases["teu -p dnat"] = (host.prefix + teu.cmd(*run_p),
                                    {**teu.env, "TEU_PORT_FASTPATH": "0"})
            cases["podman -p"] = (host.prefix + podman.cmd(
                "run", "--rm", *ULIMITS, "-p", "8080:80", "localhost/busybox", "true"),
                podman.env)
        times: dict[str, list[float]] = {k: [] for k in cases}
        try:
            for cmd, env in cases.values():  # warm up: first bridge, iptables chains, caches
                timed(cmd, env)
            for _ in range(args.rounds):
                for name, (cmd, env) in cases.items():
                    times[name].append(timed(cmd, env))
        finally:
            podman.stop()
            host.remove()
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    for k, v in med.items():
        print(f"{k:14} {v:7.1f} ms")
    print(f"teu bridge / podman bridge: {med['teu bridge'] / med['podman bridge']:.2f}")
    print(f"bridge cost for teu: {med['teu bridge'] - med['teu none']:.1f} ms")
    if args.publish:
        print(f"teu -p / podman -p: {med['teu -p'] / med['podman -p']:.2f}")
        print(f"-p cost for teu: {med['teu -p'] - med['teu bridge']:.1f} ms (without the "
              f"fast path {med['teu -p dnat'] - med['teu bridge']:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
