"""Apply a layer tar to a directory: what `docker pull` does to every layer.

Two modes:

- overlay (the store's): the directory holds this layer's changes only, as an
  overlayfs lower dir. A whiteout `.wh.NAME` becomes a 0/0 character device
  NAME; an opaque marker `.wh..wh..opq` becomes the xattr
  trusted.overlay.opaque=y on its directory. Each layer can be unpacked on
  its own, so a pull unpacks layers in parallel.
- merge: the tar is applied on top of what the directory already holds
  (a flattened root filesystem): whiteouts delete, opaque markers empty the
  directory of everything this layer did not itself put there.

Confinement. Nothing is ever written outside the directory: names are
cleaned (`./`, `//`, a leading `/` dropped; a `..` that would climb above
the root refuses the layer); every parent directory is resolved one
component at a time with O_NOFOLLOW, and a symlink met on the way is
followed *inside* the root (a symlink to `/etc` leads to `<root>/etc`, as
containerd's RootPath and openat2's RESOLVE_IN_ROOT do); the last component
is always created or replaced, never followed; hard links must name a path
inside the layer. Everything is done relative to directory file descriptors.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from typing import IO

from teu.image.errors import LayerError

WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"
OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque"
CHUNK = 1 << 20
_MAX_SYMLINKS = 40
_O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | os.O_NOFOLLOW


@dataclass
class ApplyResult:
    size: int = 0       # bytes of regular file content written
    entries: int = 0


def clean_name(name: str) -> tuple[str, ...]:
    """Split a tar member name into components, refusing any that climb out."""
    parts: list[str] = []
    for c in name.split("/"):
        if c in ("", "."):
            continue
        if c == "..":
            if not parts:
                raise LayerError(f"tar entry {name!r}: path escapes the layer directory")
            parts.pop()
        elif "\0" in c:
            raise LayerError(f"tar entry {name!r}: NUL in path")
        else:
            parts.append(c)
    return tuple(parts)


class _Root:
    """A directory tree that is written only through fds resolved inside it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = os.open(path, _O_DIR)
        self._cache: dict[tuple[str, ...], int] = {}

    def close(self) -> None:
        if self.fd >= 0:
            self.invalidate()
            os.close(self.fd)
            self.fd = -1

    def invalidate(self) -> None:
        for fd in self._cache.values():
            os.close(fd)
        self._cache.clear()

    def dir(self, comps: tuple[str, ...], create: bool = True) -> int:
        """An fd of directory `comps` resolved inside the root (cached: do not close)."""
        fd = self._cache.get(comps)
        if fd is not None:
            return fd
        fd = self._resolve(comps, create)
        if len(self._cache) > 256:
            self.invalidate()
        self._cache[comps] = fd
        return fd

    def _resolve(self, comps: tuple[str, ...], create: bool) -> int:
        stack = [os.dup(self.fd)]  # fds from the root down; stack[-1] is where we are
        todo = list(comps)
        links = 0
        try:
            while todo:
                c = todo.pop(0)
                if c in ("", "."):
                    continue
                if c == "..":
                    # Clamped at the root, like a chroot.
                    if len(stack) > 1:
                        os.close(stack.pop())
                    continue
                cur = stack[-1]
                try:
                    st = os.stat(c, dir_fd=cur, follow_symlinks=False)
                except FileNotFoundError:
                    if not create:
                        raise LayerError(f"{'/'.join(comps)}: no such directory in the layer") \
                            from None
                    os.mkdir(c, 0o755, dir_fd=cur)
                    st = os.stat(c, dir_fd=cur, follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    links += 1
                    if links > _MAX_SYMLINKS:
                        raise LayerError(f"{'/'.join(comps)}: too many levels of symbolic links")
                    target = os.readlink(c, dir_fd=cur)
                    if target.startswith("/"):
                        while len(stack) > 1:
                            os.close(stack.pop())
                    todo[:0] = target.split("/")
                    continue
                if not stat.S_ISDIR(st.st_mode):
                    raise LayerError(f"{'/'.join(comps)}: {c!r} is not a directory")
                stack.append(os.open(c, _O_DIR, dir_fd=cur))
            fd = stack.pop()
            return fd
        finally:
            for other in stack:
                os.close(other)


def _remove(dir_fd: int, name: str) -> None:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        import shutil

        shutil.rmtree(name, dir_fd=dir_fd)
    else:
        os.unlink(name, dir_fd=dir_fd)


def _pax_xattrs(ti) -> dict[str, bytes]:
    out = {}
    for key, value in (ti.pax_headers or {}).items():
        if key.startswith("SCHILY.xattr."):
            raw = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
            out[key[len("SCHILY.xattr."):]] = raw
    return out


class Applier:
    def __init__(self, dest: str, overlay: bool = True, same_owner: bool | None = None) -> None:
        self.root = _Root(dest)
        self.overlay = overlay
        self.same_owner = os.geteuid() == 0 if same_owner is None else same_owner
        self.result = ApplyResult()
        self._dir_times: list[tuple[tuple[str, ...], int]] = []
        self._created: set[tuple[str, ...]] = set()

    def apply(self, stream: IO[bytes]) -> ApplyResult:
        from teu.image.tarstream import TarStream

        tar = TarStream(stream)
        for entry in tar:
            self._entry(tar, entry)
        self.tar = tar
        # Directory mtimes last: creating their children changed them.
        for comps, mtime in reversed(self._dir_times):
            try:
                parent = self.root.dir(comps[:-1], create=False)
                os.utime(comps[-1], ns=(mtime, mtime), dir_fd=parent, follow_symlinks=False)
            except (FileNotFoundError, LayerError):
                pass
        return self.result

    def _entry(self, tar, ti) -> None:
        comps = clean_name(ti.name)
        if not comps:
            return  # the root itself: the layer directory keeps its own metadata
        self.result.entries += 1
        base = comps[-1]
        parent_comps = comps[:-1]
        if base.startswith(WHITEOUT_PREFIX):
            self._whiteout(parent_comps, base)
            return
        pfd = self.root.dir(parent_comps)
        try:
            existing = os.stat(base, dir_fd=pfd, follow_symlinks=False)
        except FileNotFoundError:
            existing = None
        if existing is not None and not (ti.isdir() and stat.S_ISDIR(existing.st_mode)):
            if stat.S_ISDIR(existing.st_mode) or stat.S_ISLNK(existing.st_mode):
                self.root.invalidate()
                pfd = self.root.dir(parent_comps)
            _remove(pfd, base)
        mode = ti.mode & 0o7777
        if ti.isdir():
            if existing is None or not stat.S_ISDIR(existing.st_mode):
                os.mkdir(base, 0o700, dir_fd=pfd)
        elif ti.isreg():
            self._write_file(tar, ti, pfd, base, mode)
        elif ti.issym():
            os.symlink(ti.linkname, base, dir_fd=pfd)
        elif ti.islnk():
            try:
                target = clean_name(ti.linkname)
            except LayerError:
                raise LayerError(f"tar entry {ti.name!r}: hard link target {ti.linkname!r} "
                                 "escapes the layer directory") from None
            if not target:
                raise LayerError(f"tar entry {ti.name!r}: hard link to the layer root")
            try:
                tfd = self.root.dir(target[:-1], create=False)
                os.link(target[-1], base, src_dir_fd=tfd, dst_dir_fd=pfd, follow_symlinks=False)
            except (FileNotFoundError, LayerError):
                raise LayerError(f"tar entry {ti.name!r}: hard link target {ti.linkname!r} "
                                 "is not in the layer") from None
            self._created.add(comps)
            return  # a hard link shares its target's metadata
        elif ti.ischr() or ti.isblk() or ti.isfifo():
            kind = stat.S_IFCHR if ti.ischr() else stat.S_IFBLK if ti.isblk() else stat.S_IFIFO
            try:
                os.mknod(base, kind | mode, os.makedev(ti.devmajor, ti.devminor), dir_fd=pfd)
            except PermissionError:
                return  # not root (a user namespace): docker skips devices too
        else:
            raise LayerError(f"tar entry {ti.name!r}: unsupported type {ti.type!r}")
        self._created.add(comps)
        self._metadata(ti, pfd, base, comps, mode)

    def _write_file(self, tar, ti, pfd: int, base: str, mode: int) -> None:
        fd = os.open(base, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600, dir_fd=pfd)
        try:
            for view in tar.chunks():
                while view:
                    view = view[os.write(fd, view):]
            self.result.size += ti.size
        finally:
            os.close(fd)

    def _metadata(self, ti, pfd: int, base: str, comps: tuple[str, ...], mode: int) -> None:
        link = ti.issym()
        if self.same_owner:
            os.chown(base, ti.uid, ti.gid, dir_fd=pfd, follow_symlinks=False)
        for key, value in _pax_xattrs(ti).items():
            try:
                os.setxattr(f"/proc/self/fd/{pfd}/{base}", key, value, follow_symlinks=False)
            except OSError as e:
                # A filesystem without xattrs (or user.* on a symlink) loses them, as docker does.
                if e.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
                    raise
        if not link:
            # After chown: chown clears the set-id bits.
            os.chmod(base, mode, dir_fd=pfd)
        mtime = int(ti.mtime * 1_000_000_000)
        if ti.isdir():
            self._dir_times.append((comps, mtime))
        else:
            os.utime(base, ns=(mtime, mtime), dir_fd=pfd, follow_symlinks=False)

    def _whiteout(self, parent_comps: tuple[str, ...], base: str) -> None:
        pfd = self.root.dir(parent_comps)
        if base == OPAQUE:
            if self.overlay:
                os.setxattr(f"/proc/self/fd/{pfd}", OVERLAY_OPAQUE_XATTR, b"y")
            else:
                self.root.invalidate()
                pfd = self.root.dir(parent_comps)
                for name in os.listdir(pfd):
                    if parent_comps + (name,) not in self._created:
                        _remove(pfd, name)
            return
        victim = base[len(WHITEOUT_PREFIX):]
        if victim in ("", ".", "..") or "/" in victim:
            raise LayerError(f"whiteout {base!r}: bad name")
        self.root.invalidate()
        pfd = self.root.dir(parent_comps)
        _remove(pfd, victim)
        if self.overlay:
            os.mknod(victim, stat.S_IFCHR, os.makedev(0, 0), dir_fd=pfd)


def apply_layer(stream: IO[bytes], dest: str, overlay: bool = True,
                same_owner: bool | None = None) -> ApplyResult:
    """Unpack an uncompressed layer tar read from `stream` into `dest`."""
    os.makedirs(dest, exist_ok=True)
    applier = Applier(dest, overlay, same_owner)
    try:
        return applier.apply(stream)
    except OSError as e:
        raise LayerError(f"applying layer: {e}") from None
    finally:
        applier.root.close()
