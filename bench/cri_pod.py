#!/usr/bin/env python3
"""A pod's life through containerd 1.6's CRI, runc handler vs teu handler (teu-runtime
behind the same runc shim), as a kubelet drives it: RunPodSandbox, CreateContainer +
StartContainer, ExecSync, StopPodSandbox + RemovePodSandbox.

One private containerd (teu.testing.crinode: its own network namespace and directory)
serves both handlers; each round runs a pod under each handler in a shuffled order, so
drift hits both alike. Prints the median of each phase and teu's ratio to runc.

    python3 bench/cri_pod.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time
import uuid

from teu.testing.crinode import BUSYBOX_IMAGE, CriNode, missing_tools, remove_cgroup_tree

PHASES = ("sandbox", "container", "exec", "teardown", "pod")


def teu_runtime() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "teu-runtime")
    return here if os.path.exists(here) else shutil.which("teu-runtime") or "teu-runtime"


def one_pod(rt, cri, handler: str, parent: str) -> dict[str, float]:  # noqa: ANN001
    sandbox = cri.PodSandboxConfig(
        metadata=cri.PodSandboxMetadata(name="bench", uid=uuid.uuid4().hex, namespace="bench"),
        linux=cri.LinuxPodSandboxConfig(cgroup_parent=parent))
    times = {}
    t0 = time.perf_counter()
    pod = rt.RunPodSandbox(cri.RunPodSandboxRequest(config=sandbox, runtime_handler=handler)
                           ).pod_sandbox_id
    t1 = time.perf_counter()
    config = cri.ContainerConfig(metadata=cri.ContainerMetadata(name="c"),
                                 image=cri.ImageSpec(image=BUSYBOX_IMAGE),
                                 command=["sleep", "600"])
    cid = rt.CreateContainer(cri.CreateContainerRequest(
        pod_sandbox_id=pod, config=config, sandbox_config=sandbox)).container_id
    rt.StartContainer(cri.StartContainerRequest(container_id=cid))
    t2 = time.perf_counter()
    out = rt.ExecSync(cri.ExecSyncRequest(container_id=cid, cmd=["true"], timeout=10))
    t3 = time.perf_counter()
    if out.exit_code != 0:
        raise RuntimeError(f"ExecSync under {handler}: {out.stderr!r}")
    rt.StopPodSandbox(cri.StopPodSandboxRequest(pod_sandbox_id=pod))
    rt.RemovePodSandbox(cri.RemovePodSandboxRequest(pod_sandbox_id=pod))
    t4 = time.perf_counter()
    times.update(sandbox=t1 - t0, container=t2 - t1, exec=t3 - t2, teardown=t4 - t3,
                 pod=t4 - t0)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    if os.geteuid() != 0 or missing_tools():
        print(f"needs root and {missing_tools()}", file=sys.stderr)
        return 1
    from cri_api.v1 import api_pb2 as cri

    parent = f"/teu-cri-bench-{uuid.uuid4().hex[:8]}"
    node = CriNode(teu_runtime())
    results: dict[str, dict[str, list[float]]] = {h: {p: [] for p in PHASES}
                                                  for h in ("runc", "teu")}
    try:
        node.load_images()
        rt, _ = node.cri()
        for handler in ("runc", "teu"):  # warm-up: page cache, first image unpack
            one_pod(rt, cri, handler, parent)
        for _ in range(args.rounds):
            order = ["runc", "teu"]
            random.shuffle(order)
            for handler in order:
                for phase, seconds in one_pod(rt, cri, handler, parent).items():
                    results[handler][phase].append(seconds)
    finally:
        node.stop()
        remove_cgroup_tree(parent)
    print(f"{args.rounds} rounds, medians in ms (2 shared cores; other work running)")
    print(f"{'phase':<10} {'runc':>8} {'teu':>8} {'teu/runc':>9}")
    for phase in PHASES:
        r = statistics.median(results["runc"][phase]) * 1000
        t = statistics.median(results["teu"][phase]) * 1000
        print(f"{phase:<10} {r:8.1f} {t:8.1f} {t / r:9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
