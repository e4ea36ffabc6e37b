"""podman 4.3 as a peer here: what it leaves behind on this kernel."""

from __future__ import annotations

import os


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
