"""`kube play` + `kube down` of one manifest (a ConfigMap, a Pod of two containers),
teu beside podman 4.3, alternating, both with --network none, private roots.

    python bench/kube_play.py [-n ROUNDS]

Prints the median wall time of play and of down for each, and teu/podman ratios.
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

sys.path.insert(0, os.path.dirname(__file__))
from _engine_peers import Podman, Teu, available, busybox_tar  # noqa: E402

from teu.testing.podman import remove_pod_cgroups  # noqa: E402

MANIFEST = """apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {GREETING: hello}
---
apiVersion: v1
kind: Pod
metadata: {name: bench}
spec:
  containers:
  - name: a
    image: IMAGE
    command: [sh, -c, 'trap "exit 0" TERM; sleep 300 & wait']
    env: [{name: PATH, value: /bin}]
    envFrom: [{configMapRef: {name: cfg}}]
  - name: b
    image: IMAGE
    command: [sh, -c, 'trap "exit 0" TERM; sleep 300 & wait']
    env: [{name: PATH, value: /bin}]
"""


def timed(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])}...: {p.stderr.strip()}")
    return elapsed


def _pod_ids(podman) -> list[str]:  # noqa: ANN001
    listed = subprocess.run(podman.cmd("pod", "ps", "-q", "--no-trunc"), env=podman.env,
                            capture_output=True, text=True)
    return listed.stdout.split()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", "--rounds", type=int, default=5)
    args = ap.parse_args()
    if os.geteuid() != 0 or not available("podman"):
        print("needs root, podman and runc", file=sys.stderr)
        return 1
    top = tempfile.mkdtemp(prefix="kb-", dir="/tmp")
    pods: set[str] = set()
    podman = None
    try:
        tarball = busybox_tar(os.path.join(top, "busybox.tar"))
        teu, podman = Teu(top, tarball), Podman(top, tarball)
        files = {}
        for peer, image in ((teu, "busybox"), (podman, "localhost/busybox")):
            path = os.path.join(top, f"{peer.name}.yaml")
            with open(path, "w") as f:
                f.write(MANIFEST.replace("IMAGE", image))
            files[peer.name] = path
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for peer in (teu, podman):
                play = peer.cmd("kube", "play", "--network", "none", files[peer.name])
                down = peer.cmd("kube", "down", files[peer.name])
                times.setdefault((peer.name, "play"), []).append(timed(play, peer.env))
                if peer is podman:  # its pod cgroup dirs in absent hierarchies would
                    ids = _pod_ids(podman)  # fail its down (teu.testing.podman): untimed
                    pods.update(ids)
                    remove_pod_cgroups(set(ids))
                times.setdefault((peer.name, "down"), []).append(timed(down, peer.env))
                if peer is podman:
                    remove_pod_cgroups(pods)
        load = os.getloadavg()[0]
        print(f"kube play/down, {args.rounds} rounds alternating, load average {load:.1f}")
        for verb in ("play", "down"):
            t = statistics.median(times[("teu", verb)])
            p = statistics.median(times[("podman", verb)])
            print(f"  {verb:5s} teu {t * 1000:7.0f} ms   podman {p * 1000:7.0f} ms   "
                  f"teu/podman {t / p:.2f}")
    finally:
        if podman is not None:
            pods.update(_pod_ids(podman))
            podman.stop()
            subprocess.run(podman.cmd("system", "reset", "-f"), env=podman.env,
                           capture_output=True)
        remove_pod_cgroups(pods)
        subprocess.run(["umount", "-R", "-l", top], capture_output=True)
        shutil.rmtree(top, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
