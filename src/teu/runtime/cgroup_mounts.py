"""The /sys/fs/cgroup a container sees: its own cgroups, in whatever layout the host has.

Hosts differ: pure v2 (one cgroup2 mount), pure v1, or hybrid like this VM (v1
controllers plus a cgroup2 mount at /sys/fs/cgroup/unified). We mirror the
host's layout: a tmpfs holding one mount per hierarchy. With a new cgroup
namespace each is a fresh cgroupfs mount (whose root is the container's
cgroup); without one, a bind of the host directory of the container's cgroup.
"""

from __future__ import annotations

import os

from teu.runtime import linux as L
from teu.runtime.cgroups.mounts import mounts, own_cgroups, own_path

CGROUP_ROOT = "/sys/fs/cgroup"


def mount_cgroups(sys: L.Syscalls, dest: str, flags: int, new_cgroupns: bool) -> None:
    hierarchies = mounts(CGROUP_ROOT)
    own = own_cgroups()
    sub_flags = (flags | L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC) & ~(L.MS_BIND | L.MS_REC)
    top = next((m for m in hierarchies if m.v2 and m.mountpoint == CGROUP_ROOT), None)
    if top is not None:
        _mount_one(sys, dest, "cgroup2", "", own_path(top, own), CGROUP_ROOT, sub_flags,
                   new_cgroupns)
        return
    sys.mount("tmpfs", dest, "tmpfs", L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC, "mode=755")
    for m in hierarchies:
        name = os.path.relpath(m.mountpoint, CGROUP_ROOT)
        target = os.path.join(dest, name)
        os.makedirs(target, exist_ok=True)
        _mount_one(sys, target, "cgroup2" if m.v2 else "cgroup", ",".join(m.controllers),
                   own_path(m, own), m.mountpoint, sub_flags, new_cgroupns)
        # Co-mounted controllers ("cpu,cpuacct") are reachable under each name.
        if "," in name:
            for alias in name.split(","):
                link = os.path.join(dest, alias)
                if not os.path.lexists(link):
                    os.symlink(name, link)
    if flags & L.MS_RDONLY:
        sys.mount(None, dest, None, L.MS_REMOUNT | L.MS_RDONLY | L.MS_NOSUID | L.MS_NODEV
                  | L.MS_NOEXEC, "mode=755")


def _mount_one(sys: L.Syscalls, target: str, fstype: str, data: str, cgroup_path: str,
               host_mountpoint: str, flags: int, new_cgroupns: bool) -> None:
    if new_cgroupns:
        sys.mount("cgroup", target, fstype, flags, data or None)
        return
    source = os.path.join(host_mountpoint, cgroup_path.lstrip("/"))
    sys.mount(source, target, "bind", L.MS_BIND | L.MS_REC, None)
    sys.mount(None, target, None, L.MS_BIND | L.MS_REMOUNT | flags, None)
