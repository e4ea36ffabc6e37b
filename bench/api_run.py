#!/usr/bin/env python3
"""50 sequential `containers.run(image, "true", remove=True)`: teu.api in-process against
docker-py on a private dockerd 20.10 (network none for both), alternating per round.

Each round times one batch per client, in a shuffled order, so drift hits both alike;
prints the median batch time of each and the ratio teu/docker-py (target <= 0.3).

    python3 bench/api_run.py [--rounds 5] [--runs 50]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _engine_peers import busybox_tar  # noqa: E402


def batch(client: object, runs: int, **kw: object) -> float:
    start = time.perf_counter()
    for _ in range(runs):
        client.containers.run("busybox", "true", remove=True, **kw)  # type: ignore[attr-defined]
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    import docker

    import teu.api
    from teu.api import images
    from teu.testing.dockerd import Dockerd

    with tempfile.TemporaryDirectory(prefix="teu-bench-api-") as top:
        tarball = busybox_tar(os.path.join(top, "busybox.tar"))
        root, runroot = os.path.join(top, "root"), os.path.join(top, "run")
        images.import_image(tarball, "busybox", root=root)
        ours = teu.api.Client(root, runroot)
        d = Dockerd(tarball, "busybox")
        theirs = docker.DockerClient(base_url=d.url)
        try:
            # network none for both: dockerd has no bridge here, and teu's default bridge would
            # be made in this machine's own network namespace
            clients = {"teu.api": (ours, {"network_mode": "none"}),
                       "docker-py": (theirs, {"network_mode": "none"})}
            for client, kw in clients.values():
                batch(client, 3, **kw)  # warm up
            times: dict[str, list[float]] = {name: [] for name in clients}
            for _ in range(args.rounds):
                order = list(clients)
                random.shuffle(order)
                for name in order:
                    client, kw = clients[name]
                    times[name].append(batch(client, args.runs, **kw))
        finally:
            theirs.close()
            d.stop()
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"| client | {args.runs} runs (median of {args.rounds}) | per run |")
    print("|---|---|---|")
    for name, t in med.items():
        print(f"| {name} | {t:.2f} s | {t / args.runs * 1000:.0f} ms |")
    print(f"\nteu.api / docker-py = {med['teu.api'] / med['docker-py']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
