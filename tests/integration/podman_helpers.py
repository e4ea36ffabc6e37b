"""podman as a peer in private roots: its quirks on this machine (HOST-NOTES), and the
pod cgroup directories it leaves where this kernel has no such hierarchy."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

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
        self("pod", "rm", "-f", "-a", check=False)
        self("system", "reset", "-f", check=False)
        shutil.rmtree(self.run_dir, ignore_errors=True)
        remove_pod_cgroups(self.pods)


def remove_pod_cgroups(pods: set[str]) -> None:
    """podman 4.3 writes its pod cgroup also into /sys/fs/cgroup/{hugetlb,net_cls,...}
    where this kernel has no such hierarchy (plain directories with a `tasks` file), and
    then fails to remove them: take those of our pods away (in real hierarchies only
    empty directories are removed)."""
    top = "/sys/fs/cgroup"
    for hierarchy in os.listdir(top):
        fake = not os.path.ismount(os.path.join(top, hierarchy))
        for pid in pods:
            d = os.path.join(top, hierarchy, "libpod_parent", pid)
            if not os.path.isdir(d):
                continue
            for sub, _dirs, files in sorted(os.walk(d), key=lambda w: -len(w[0])):
                if fake:
                    for f in files:
                        os.unlink(os.path.join(sub, f))
                try:
                    os.rmdir(sub)
                except OSError:
                    pass
