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

CGROUP_ROOT = "/sys/fs/cgroup"


def host_hierarchies() -> list[tuple[str, str, str]]:
    """(mount point, fs type, super options) of each cgroup mount under /sys/fs/cgroup."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            fstype, mountpoint = fields[sep + 1], fields[4]
            if fstype in ("cgroup", "cgroup2") and mountpoint.startswith(CGROUP_ROOT):
                found.append((mountpoint, fstype, fields[sep + 3]))
    return found


def own_cgroups() -> dict[str, str]:
    """Controller list (as in /proc/self/cgroup, '' for v2) -> this process's cgroup path."""
    paths = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            paths[controllers] = path
    return paths


def _v1_key(super_options: str) -> str:
    """The /proc/self/cgroup key of a v1 hierarchy from its super options."""
    opts = [o for o in super_options.split(",") if o not in ("rw", "ro", "xattr", "clone_children")
            and not o.startswith("release_agent") and o != "noprefix"]
    names = [o for o in opts if o.startswith("name=")]
    ctrls = [o for o in opts if not o.startswith("name=")]
    return ",".join(ctrls + names)


def mount_cgroups(sys: L.Syscalls, dest: str, flags: int, new_cgroupns: bool) -> None:
    hierarchies = host_hierarchies()
    own = own_cgroups()
    sub_flags = (flags | L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC) & ~(L.MS_BIND | L.MS_REC)
    if any(mp == CGROUP_ROOT and t == "cgroup2" for mp, t, _ in hierarchies):
        _mount_one(sys, dest, "cgroup2", "", own.get("", "/"), CGROUP_ROOT, sub_flags,
                   new_cgroupns)
        return
    sys.mount("tmpfs", dest, "tmpfs", L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC, "mode=755")
    for mountpoint, fstype, super_opts in hierarchies:
        name = os.path.relpath(mountpoint, CGROUP_ROOT)
        target = os.path.join(dest, name)
        os.makedirs(target, exist_ok=True)
        key = "" if fstype == "cgroup2" else _v1_key(super_opts)
        data = "" if fstype == "cgroup2" else key
        _mount_one(sys, target, fstype, data, own.get(key, "/"), mountpoint, sub_flags,
                   new_cgroupns)
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
