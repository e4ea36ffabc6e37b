"""What RUN's default network costs: teu build and buildah bud, each with RUN on its
default bridge and with --network none, inside a test host of its own (the bridges, veths
and firewall rules are made there, never in the machine's namespace).

A Dockerfile of three short RUNs built with --no-cache; the four ways alternate within
each round. Prints medians, each tool's cost of the bridge per RUN, and teu's ratios.

    python bench/build_network.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _engine_peers as peers  # noqa: E402
from _test_host import TestHost  # noqa: E402
from build import Buildah, Teu, unmount_under  # noqa: E402

RUNS = 3
DOCKERFILE = "FROM busybox\n" + "".join(f"RUN echo step{i} > /step{i}\n" for i in range(RUNS))


class HostTeu(Teu):
    def __init__(self, top: str, tarball: str, host: TestHost) -> None:
        super().__init__(top, tarball)
        self.base = [*host.prefix, *self.base]
        self.env["TEU_NETWORK"] = "bridge"  # the default network, whatever the caller has

    def cmd_for(self, ctx: str, network: str) -> list[str]:
        return self.cmd("build", "--network", network, "--no-cache", "-q", "-t", "net:1", ctx)


class HostBuildah(Buildah):
    def __init__(self, top: str, tarball: str, host: TestHost) -> None:
        super().__init__(top, tarball)
        self.prefix = host.prefix

    def cmd_for(self, ctx: str, network: str) -> list[str]:
        # buildah's default for RUN is a CNI network of its own ("private").
        return [*self.prefix, "buildah", *self.store, "bud", "--layers", "--runtime", "runc",
                "--network", "none" if network == "none" else "private", "--no-cache", "-q",
                "-t", "net:1", ctx]


def timed(tool, ctx: str, network: str) -> float:  # noqa: ANN001
    t = time.perf_counter()
    p = subprocess.run(tool.cmd_for(ctx, network), env=tool.env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{tool.name} --network {network} failed:\n{p.stderr[-3000:]}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    top = tempfile.mkdtemp(prefix="teu-bench-buildnet-")
    host = TestHost()
    tools = []
    try:
        tarball = peers.busybox_tar(os.path.join(top, "busybox.tar"))
        tools.append(HostTeu(top, tarball, host))
        if shutil.which("buildah"):
            tools.append(HostBuildah(top, tarball, host))
        ctx = os.path.join(top, "ctx")
        os.makedirs(ctx)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(DOCKERFILE)
        ways = [(t, n) for t in tools for n in ("none", "default")]
        for t, n in ways:  # warm: base image, bridge and chains made
            timed(t, ctx, n)
        results: dict[tuple[str, str], list[float]] = {(t.name, n): [] for t, n in ways}
        for r in range(args.rounds):
            for t, n in ways[r % len(ways):] + ways[:r % len(ways)]:
                results[(t.name, n)].append(timed(t, ctx, n))
        med = {k: statistics.median(v) for k, v in results.items()}
        print(f"\n{RUNS} RUNs, --no-cache, {args.rounds} rounds, medians in seconds "
              f"(2 shared cores; load average {os.getloadavg()[0]:.1f} at the end)")
        print(f"{'tool':10} {'none':>8} {'default':>8} {'per RUN':>9}")
        for t in tools:
            none, bridge = med[(t.name, "none")], med[(t.name, "default")]
            print(f"{t.name:10} {none:8.3f} {bridge:8.3f} {(bridge - none) / RUNS * 1000:7.0f}ms")
        if len(tools) > 1:
            for n in ("none", "default"):
                print(f"teu/buildah --network {n}: {med[('teu', n)] / med[('buildah', n)]:.2f}x")
    finally:
        for t in tools:
            t.stop()
        unmount_under(top)
        host.remove()
        shutil.rmtree(top, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
