"""podman as a peer in private roots: its quirks on this machine (HOST-NOTES), and the
pod cgroup directories it leaves where this kernel has no such hierarchy."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from teu.testing.podman import remove_pod_cgroups

CONF = ('[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
        '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n')


class Podman:
    """podman with its own --root and a short --runroot (podman refuses one over 50
    characters), runc (crun 1.8.1 refuses the hybrid cgroup layout) and the ulimits root
    may set here. `close()` removes all it made, the pod cgroups included."""

    def __init__(self, top: Path) -> None:
        self.run_dir = tempfile.mkdtemp(prefix="pm-", dir="/tmp")
        conf = top / "containers.conf"
        conf.write_text(CONF)
        self.base = ["podman", "--root", str(top / "pm-root"), "--runroot", self.run_dir]
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf)}
        self.pods: set[str] = set()

    def __call__(self, *args: str, check: bool = True) -> str:
        p = subprocess.run([*self.base, *args], capture_output=True, text=True,
                           env=self.env, timeout=120)
        if check:
            assert p.returncode == 0, f"podman {' '.join(args)}: {p.stderr}"
        if args[:1] in (("pod",), ("kube",)):
            listed = subprocess.run([*self.base, "pod", "ps", "-q", "--no-trunc"],
                                    capture_output=True, text=True, env=self.env, timeout=60)
            self.pods.update(listed.stdout.split())
        return p.stdout

    def close(self) -> None:
        self("pod", "rm", "-f", "-a", "-t", "0", check=False)  # no 10 s stop each
        self("system", "reset", "-f", check=False)
        shutil.rmtree(self.run_dir, ignore_errors=True)
        remove_pod_cgroups(self.pods)
