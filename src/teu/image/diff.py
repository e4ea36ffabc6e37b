"""Make a layer: a directory's changes as a tar with OCI whiteouts (commit, build).

Two sources of changes:

- `diff_dirs(parent, current, out)`: compare two full trees, as docker's
  changes.go does (lstat: type, mode, owner, size, mtime, device, symlink
  target, xattrs; file contents are not read: same size and mtime is same
  file). Added or changed entries go in whole (with their parent
  directories, so the tar applies on its own); removed ones become
  `.wh.NAME`; a directory that replaced a file, or the reverse, goes in whole.
- `diff_overlay(upper, out)`: an overlayfs upper directory is already a
  diff; its 0/0 character devices become `.wh.NAME` and a directory with
  trusted.overlay.opaque=y gets a `.wh..wh..opq` entry.

Entries are sorted; hard links inside the layer stay hard links; owners are
numeric (no user names); xattrs travel as SCHILY.xattr PAX records.
"""

from __future__ import annotations

import os
import stat
import tarfile
from dataclasses import dataclass
from typing import IO

from teu.image.apply import OPAQUE, OVERLAY_OPAQUE_XATTR, WHITEOUT_PREFIX
from teu.oci import digest as D


@dataclass
class DiffResult:
    diff_id: D.Digest
    size: int      # bytes of the uncompressed tar
    entries: int


class _HashingWriter:
    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self.hasher = D.Hasher()

    def write(self, data: bytes) -> int:
        self.hasher.update(data)
        self._out.write(data)
        return len(data)

    def flush(self) -> None:
        pass


def _xattrs(path: str) -> dict[str, bytes]:
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    out = {}
    for name in sorted(names):
        if name.startswith("trusted.overlay."):
            continue  # overlayfs bookkeeping, not content
        try:
            out[name] = os.getxattr(path, name, follow_symlinks=False)
        except OSError:
            pass
    return out


class _Writer:
    def __init__(self, out: IO[bytes]) -> None:
        self.hw = _HashingWriter(out)
        self.tar = tarfile.open(fileobj=self.hw, mode="w|", format=tarfile.PAX_FORMAT)  # type: ignore[arg-type]
        self.entries = 0

    def add(self, path: str, arcname: str) -> None:
        ti = self.tar.gettarinfo(path, arcname)
        ti.uname = ti.gname = ""
        xattrs = _xattrs(path)
        if xattrs:
            ti.pax_headers = {f"SCHILY.xattr.{k}": v.decode("utf-8", "surrogateescape")
                              for k, v in xattrs.items()}
        if ti.isreg():
            with open(path, "rb") as f:
                self.tar.addfile(ti, f)
        else:
            self.tar.addfile(ti)
        self.entries += 1

    def whiteout(self, arcname: str, mtime: float = 0) -> None:
        ti = tarfile.TarInfo(arcname)
        ti.mode = 0o600
        ti.mtime = int(mtime)
        self.tar.addfile(ti)
        self.entries += 1

    def close(self) -> DiffResult:
        self.tar.close()
        return DiffResult(self.hw.hasher.digest(), self.hw.hasher.size, self.entries)


def _same(a: os.stat_result, b: os.stat_result, pa: str, pb: str) -> bool:
    if stat.S_IFMT(a.st_mode) != stat.S_IFMT(b.st_mode):
        return False
    if (a.st_mode, a.st_uid, a.st_gid) != (b.st_mode, b.st_uid, b.st_gid):
        return False
    if stat.S_ISLNK(a.st_mode):
        return os.readlink(pa) == os.readlink(pb)
    if stat.S_ISCHR(a.st_mode) or stat.S_ISBLK(a.st_mode):
        if a.st_rdev != b.st_rdev:
            return False
    if not stat.S_ISDIR(a.st_mode):
        if a.st_size != b.st_size or a.st_mtime_ns != b.st_mtime_ns:
            return False
    return _xattrs(pa) == _xattrs(pb)


def _scan(path: str) -> dict[str, os.DirEntry]:
    try:
        with os.scandir(path) as it:
            return {e.name: e for e in it}
    except (FileNotFoundError, NotADirectoryError):
        return {}


def diff_dirs(parent: str | None, current: str, out: IO[bytes]) -> DiffResult:
    """The tar that turns `parent` (None: empty) into `current`, written to `out`."""
    actions: list[tuple[str, str]] = []  # (path or "" for a whiteout, name in the tar)
    _diff(actions, parent, current, "")
    w = _Writer(out)
    for path, arc in actions:
        if path:
            w.add(path, arc)
        else:
            w.whiteout(arc)
    return w.close()


def _subtree(actions: list[tuple[str, str]], path: str, arc: str) -> None:
    actions.append((path, arc))
    if os.path.isdir(path) and not os.path.islink(path):
        for name in sorted(_scan(path)):
            _subtree(actions, os.path.join(path, name), f"{arc}/{name}")


def _diff(actions: list[tuple[str, str]], parent: str | None, current: str,
          prefix: str) -> None:
    cur = _scan(current)
    par = _scan(parent) if parent else {}
    for name in sorted(set(cur) | set(par)):
        arc = f"{prefix}{name}"
        cpath = os.path.join(current, name)
        if name not in cur:
            actions.append(("", f"{prefix}{WHITEOUT_PREFIX}{name}"))
            continue
        if name not in par:
            _subtree(actions, cpath, arc)
            continue
        ppath = os.path.join(parent, name)  # type: ignore[arg-type]
        cst, pst = os.lstat(cpath), os.lstat(ppath)
        if stat.S_ISDIR(cst.st_mode) and stat.S_ISDIR(pst.st_mode):
            # The directory's own entry goes before its children, and goes in if it
            # changed or anything below it did (so the tar applies on its own).
            below: list[tuple[str, str]] = []
            _diff(below, ppath, cpath, arc + "/")
            if below or not _same(cst, pst, cpath, ppath):
                actions.append((cpath, arc))
                actions.extend(below)
            continue
        if not _same(cst, pst, cpath, ppath):
            _subtree(actions, cpath, arc)


def diff_overlay(upper: str, out: IO[bytes]) -> DiffResult:
    """An overlayfs upper directory as a layer tar with OCI whiteouts."""
    w = _Writer(out)

    def walk(path: str, prefix: str) -> None:
        for name in sorted(_scan(path)):
            p = os.path.join(path, name)
            st = os.lstat(p)
            arc = f"{prefix}{name}"
            if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                w.whiteout(f"{prefix}{WHITEOUT_PREFIX}{name}", st.st_mtime)
                continue
            w.add(p, arc)
            if stat.S_ISDIR(st.st_mode):
                try:
                    opaque = os.getxattr(p, OVERLAY_OPAQUE_XATTR, follow_symlinks=False) == b"y"
                except OSError:
                    opaque = False
                if opaque:
                    w.whiteout(f"{arc}/{OPAQUE}", st.st_mtime)
                walk(p, arc + "/")

    walk(upper, "")
    return w.close()
