"""The container's init layer (docker's <id>-init): empty stubs for the paths the runtime
mounts over (/etc/hosts, /etc/hostname, /etc/resolv.conf, volume and secret targets),
as a lower layer just above the image's. Without it the runtime would make those stubs
in the container's own upper directory, and `diff` and `commit` would show them.

A stub is made only where the image has directories (or nothing) all the way down:
never over an image's symlink, which a directory in a higher layer would hide.
"""

from __future__ import annotations

import os
import stat


def _entry(layers: list[str], rel: str) -> os.stat_result | None:
    """The image's entry at rel (topmost layer wins), None if it has none."""
    for layer in reversed(layers):
        try:
            st = os.lstat(os.path.join(layer, rel))
        except OSError:
            continue
        if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
            return None  # a whiteout: deleted from here down
        return st
    return None


def _kind(layers: list[str], rel: str) -> str | None:
    """What the image has at rel: dir, file, link, or None."""
    st = _entry(layers, rel)
    if st is None:
        return None
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    return "link" if stat.S_ISLNK(st.st_mode) else "file"


def _mkdirs(init: str, layers: list[str], rel: str) -> None:
    """init/rel and its parents, each a copy of the image's directory there (owner,
    mode): a directory in this layer hides the metadata of the image's below it."""
    path = init
    for i, part in enumerate(rel.split("/")):
        path = os.path.join(path, part)
        if os.path.isdir(path):
            continue
        st = _entry(layers, "/".join(rel.split("/")[:i + 1]))
        os.mkdir(path, 0o755)
        if st is not None:
            os.chown(path, st.st_uid, st.st_gid)
            os.chmod(path, stat.S_IMODE(st.st_mode))


def make(init: str, layers: list[str], paths: list[tuple[str, bool]]) -> None:
    """Stubs in init for (absolute path, is a directory) pairs."""
    os.makedirs(init, mode=0o755, exist_ok=True)
    for path, is_dir in paths:
        rel = os.path.normpath(path).lstrip("/")
        if not rel or rel == ".":
            continue
        parts = rel.split("/")
        ok = True
        for i in range(1, len(parts)):
            if _kind(layers, "/".join(parts[:i])) not in ("dir", None):
                ok = False
                break
        if not ok:
            continue
        have = _kind(layers, rel)
        if have == "link" or (have is not None and (have == "dir") != is_dir):
            continue
        target = os.path.join(init, rel)
        if os.path.dirname(rel):
            _mkdirs(init, layers, os.path.dirname(rel))
        if is_dir:
            _mkdirs(init, layers, rel)
        elif not os.path.lexists(target):
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))


def stub_paths(settings: dict) -> list[tuple[str, bool]]:
    out = [("/etc/hosts", False), ("/etc/hostname", False), ("/etc/resolv.conf", False)]
    for m in settings.get("Mounts") or []:
        out.append((m["Destination"], m["Type"] == "tmpfs" or os.path.isdir(m["Source"])))
    for dest in (settings["HostConfig"].get("Tmpfs") or {}):
        out.append((dest, True))
    for s in (settings.get("Teu") or {}).get("Secrets") or []:
        out.append((s["Target"], False))
    return out
