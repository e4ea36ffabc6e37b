"""Which cgroup hierarchies are mounted where, and which cgroup this process is in.

Parsed from /proc/self/mountinfo and /proc/self/cgroup. The parsers take text
so that unit tests can feed them the layouts of other machines.
"""

from __future__ import annotations

import os

# v1 controllers the kernel can have (plus named hierarchies, "name=...").
V1_CONTROLLERS = frozenset({
    "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio",
    "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc",
})
UNIFIED = "unified"  # the key of the cgroup2 hierarchy in a manager's dirs


class Mount:
    """One cgroup mount: where it is, which cgroup is its root, and what it holds."""

    def __init__(self, mountpoint: str, root: str, controllers: tuple[str, ...], v2: bool) -> None:
        self.mountpoint = mountpoint
        self.root = root
        self.controllers = controllers
        self.v2 = v2

    def __repr__(self) -> str:
        return f"Mount({self.mountpoint!r}, {self.root!r}, {self.controllers!r}, v2={self.v2})"


def parse_mountinfo(text: str, under: str = "/sys/fs/cgroup") -> list[Mount]:
    """The cgroup and cgroup2 mounts at or below `under`, first mount of each kept."""
    prefix = under.rstrip("/") + "/"
    found: list[Mount] = []
    seen: set[tuple[str, ...]] = set()
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        sep = fields.index("-")
        fstype, superopts = fields[sep + 1], fields[sep + 3] if len(fields) > sep + 3 else ""
        if fstype not in ("cgroup", "cgroup2"):
            continue
        root, mountpoint = _unescape(fields[3]), _unescape(fields[4])
        if mountpoint != under.rstrip("/") and not mountpoint.startswith(prefix):
            continue
        v2 = fstype == "cgroup2"
        controllers = () if v2 else tuple(
            o for o in superopts.split(",") if o in V1_CONTROLLERS or o.startswith("name="))
        key = (UNIFIED,) if v2 else controllers
        if not key or key in seen:
            continue
        seen.add(key)
        found.append(Mount(mountpoint, root, controllers, v2))
    return found


def parse_proc_cgroup(text: str) -> dict[str, str]:
    """/proc/<pid>/cgroup as {controller or "name=x" or "unified": path}."""
    own: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if not controllers:
            own[UNIFIED] = path
            continue
        for c in controllers.split(","):
            own[c] = path
    return own


def mounts(under: str = "/sys/fs/cgroup") -> list[Mount]:
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        return parse_mountinfo(f.read(), under)


def own_cgroups() -> dict[str, str]:
    with open("/proc/self/cgroup", encoding="utf-8") as f:
        return parse_proc_cgroup(f.read())


def own_path(mount: Mount, own: dict[str, str]) -> str:
    """This process's cgroup in `mount`, relative to the mount's root directory."""
    key = UNIFIED if mount.v2 else mount.controllers[0]
    path = own.get(key, "/")
    # A hierarchy mounted from a sub-cgroup (inside a container) shows paths from
    # the real root; the part above the mount's root is not visible here.
    if mount.root not in ("/", "") and (path == mount.root or path.startswith(mount.root + "/")):
        path = path[len(mount.root):] or "/"
    return path


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as \\ooo."""
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 3 < len(field) and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def is_under(path: str, top: str) -> bool:
    """True if `path` is strictly below `top` (both absolute, normalized)."""
    path, top = os.path.normpath(path), os.path.normpath(top)
    return path != top and path.startswith(top.rstrip("/") + "/")
