#!/usr/bin/env python3
"""teu-runtime run vs runc run vs crun run of /bin/true on the same busybox bundle.

Runs every runtime each round, in a shuffled order, so drift hits all alike;
prints the median, the ratio to runc and to crun. crun 1.8.1 refuses this host's
hybrid cgroup layout, so (as HOST-NOTES says) it runs in a private mount
namespace where /sys/fs/cgroup/unified is unmounted; the host is untouched.

    python3 bench/runtime_run.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from teu.testing import busybox


def teu_runtime() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "teu-runtime")
    return here if os.path.exists(here) else shutil.which("teu-runtime") or "teu-runtime"


def commands(bundle: str, state: str) -> dict[str, list[str]]:
    crun = ("umount /sys/fs/cgroup/unified 2>/dev/null; "
            f"exec crun --root {state}/crun run --bundle {bundle} bench-crun")
    cmds = {
        "teu-runtime": [teu_runtime(), "--root", f"{state}/teu", "run", "--bundle", bundle,
                        "bench-teu"],
        "runc": ["runc", "--root", f"{state}/runc", "run", "--bundle", bundle, "bench-runc"],
    }
    if shutil.which("crun"):
        # The unshare+sh wrapper costs ~2 ms; measured below and subtracted.
        cmds["crun"] = ["unshare", "-m", "--propagation", "private", "sh", "-c", crun]
        cmds["(wrapper)"] = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                             "umount /sys/fs/cgroup/unified 2>/dev/null; exec true"]
    return cmds


def time_once(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="teu-bench-") as tmp:
        bundle = os.path.join(tmp, "bundle")
        busybox.make_bundle(bundle, ["/bin/true"])
        config = busybox.default_config(["/bin/true"])
        config["ociVersion"] = "1.0.2"  # crun 1.8.1 refuses newer versions
        busybox.write_config(bundle, config)
        cmds = commands(bundle, tmp)
        samples: dict[str, list[float]] = {name: [] for name in cmds}
        for cmd in cmds.values():  # warm caches once
            time_once(cmd)
        order = list(cmds)
        for _ in range(args.rounds):
            # A fresh order every round: a cgroup attach is cheaper right after another
            # one (the kernel's rcu_sync stays in its slow mode for a grace period), so
            # a fixed order would favour whoever follows the runtime before it.
            random.shuffle(order)
            for name in order:
                samples[name].append(time_once(cmds[name]))
    med = {name: statistics.median(s) * 1000 for name, s in samples.items()}
    if "crun" in med:
        med["crun"] -= med.pop("(wrapper)")
    print(f"run of /bin/true, median of {args.rounds} alternating rounds:")
    for name, ms in med.items():
        ratios = ", ".join(f"{ms / med[p]:.2f}x {p}" for p in ("runc", "crun")
                           if p in med and p != name)
        print(f"  {name:12s} {ms:6.1f} ms   ({ratios})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
