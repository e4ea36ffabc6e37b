"""cgroups for the OCI runtime: linux.cgroupsPath, linux.resources, and the verbs on them.

    m = manager_for(config["linux"].get("cgroupsPath", ""), container_id)
    m.create(); m.set(config["linux"].get("resources", {})); m.add(pid)
    state["cgroup_dirs"] = m.all_dirs        # later verbs: attach(state["cgroup_dirs"])

v1, v2 and hybrid hosts (v1 controllers plus a cgroup2 mount at <root>/unified)
all work: v1.py and v2.py hold the two managers, paths.py the cgroupsPath
rules, devices.py/bpf.py the device rules. Only `os` is imported here; the rest
loads when used, since this sits on the container start path.
"""

from __future__ import annotations

import os

from .fs import CgroupError

# typing costs milliseconds to import and nothing here needs it at run time;
# type checkers (mypy, pyright, ruff) treat any TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .mounts import Mount
    from .protocol import CgroupManager

__all__ = ["CgroupError", "CgroupManager", "attach", "detect", "manager_for"]

DEFAULT_ROOT = "/sys/fs/cgroup"


def __getattr__(name: str) -> object:
    """CgroupManager (a typing.Protocol) loads on first use, not on import."""
    if name == "CgroupManager":
        from .protocol import CgroupManager

        return CgroupManager
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def detect(root: str = DEFAULT_ROOT) -> str:
    """ "v2" (unified only), "hybrid" (v1 plus cgroup2 at root/unified) or "v1"."""
    if os.path.exists(os.path.join(root, "cgroup.controllers")):
        return "v2"
    if os.path.exists(os.path.join(root, "unified", "cgroup.controllers")):
        return "hybrid"
    return "v1"


def manager_for(cgroups_path: str, container_id: str, systemd: bool = False,
                root: str = DEFAULT_ROOT) -> CgroupManager:
    """The manager for a container's cgroup; nothing is created until create()."""
    from . import paths
    from .mounts import UNIFIED, own_path

    inner = paths.inner_path(cgroups_path, container_id, systemd)
    root = os.path.normpath(root)
    found, own = _hierarchies(root)

    def locate(mount: Mount) -> tuple[str, str]:
        cgroup = paths.join(own_path(mount, own), inner)
        return os.path.join(mount.mountpoint, cgroup.lstrip("/")), cgroup

    v2_mounts = [m for m in found if m.v2]
    if detect(root) == "v2":
        from .v2 import V2Manager

        top = next((m for m in v2_mounts if m.mountpoint == root), None)
        if top is None:
            raise CgroupError(f"cgroup: {root} looks like cgroup v2 but is not a cgroup2 mount")
        return V2Manager(locate(top)[0], top.mountpoint)
    from .v1 import V1Manager, procs_key
    from .v2 import V2Manager

    dirs: dict[str, str] = {}
    cgroup_of: dict[str, str] = {}
    for mount in found:
        if mount.v2:
            continue
        directory, cgroup = locate(mount)
        for controller in mount.controllers:
            dirs[controller], cgroup_of[controller] = directory, cgroup
    unified = None
    hybrid = [m for m in v2_mounts if m.mountpoint == os.path.join(root, UNIFIED)]
    if hybrid:
        unified = V2Manager(locate(hybrid[0])[0], hybrid[0].mountpoint, enable_all=False)
    return V1Manager(dirs, unified, path=cgroup_of[procs_key(dirs)])


def attach(dirs: dict[str, str], root: str = DEFAULT_ROOT) -> CgroupManager:
    """The manager of an existing cgroup from its saved `all_dirs` (for pause, ps, delete...)."""
    from .mounts import UNIFIED, is_under
    from .v1 import V1Manager, procs_key
    from .v2 import V2Manager

    if not dirs:
        raise CgroupError("cgroup: no cgroup directories were saved for this container")
    root = os.path.normpath(root)
    found, _ = _hierarchies(root)
    mountpoint_of = {c: m.mountpoint for m in found for c in (m.controllers or (UNIFIED,))}
    for key, directory in dirs.items():
        top = mountpoint_of.get(key)
        # Never act on something outside the hierarchy, or on its root: that is not ours.
        if top is None or not is_under(directory, top):
            raise CgroupError(f"cgroup: {directory} is not a cgroup below the {key} hierarchy "
                              f"of {root}; refusing to use it")
    unified = None
    if UNIFIED in dirs:
        unified = V2Manager(dirs[UNIFIED], mountpoint_of[UNIFIED],
                            enable_all=detect(root) == "v2")
        if len(dirs) == 1:
            return unified
    v1_dirs = {k: v for k, v in dirs.items() if k != UNIFIED}
    key = procs_key(v1_dirs)
    return V1Manager(v1_dirs, unified,
                     path="/" + os.path.relpath(v1_dirs[key], mountpoint_of[key]))


def _hierarchies(root: str) -> tuple[list[Mount], dict[str, str]]:
    """The cgroup mounts under root and this process's own cgroups.

    A root that nothing is mounted on (a test's fake tree) is read from its
    layout instead: cgroup.controllers at the top means v2, directories with
    cgroup.procs are v1 hierarchies named by their controllers.
    """
    from .mounts import mounts, own_cgroups

    found = mounts(root)
    if found:
        return found, own_cgroups()
    fake = _layout(root)
    if not fake:
        raise CgroupError(f"cgroup: no cgroup filesystem is mounted at {root}")
    return fake, {}


def _layout(root: str) -> list[Mount]:
    from .mounts import UNIFIED, V1_CONTROLLERS, Mount

    if os.path.exists(os.path.join(root, "cgroup.controllers")):
        return [Mount(root, "/", (), True)]
    found = []
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    for name in names:
        path = os.path.join(root, name)
        if name == UNIFIED and os.path.exists(os.path.join(path, "cgroup.controllers")):
            found.append(Mount(path, "/", (), True))
        elif os.path.exists(os.path.join(path, "cgroup.procs")) and not os.path.islink(path):
            controllers = tuple(c for c in name.split(",")
                                if c in V1_CONTROLLERS or c.startswith("name="))
            if controllers:
                found.append(Mount(path, "/", controllers, False))
    return found
