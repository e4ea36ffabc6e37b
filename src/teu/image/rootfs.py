"""Read files of an image without mounting it: its layer directories as one tree.

The store keeps layers overlay-style (teu.image.layers), so the image's
filesystem is the overlay of its layer directories. `LayeredFS` answers
lookups the way overlayfs would: the topmost layer that has a path wins; a
0/0 character device (whiteout) or a non-directory hides everything below
it at that path; a directory marked trusted.overlay.opaque hides lower
layers' contents. Symlinks are followed inside the image's root, never out
of it (an absolute target means the image's /). Used to read /etc/passwd
and /etc/group for the image's USER, before any container exists.
"""

from __future__ import annotations

import os
import stat

from teu.image.apply import OVERLAY_OPAQUE_XATTR

_MAX_LINKS = 40


def _is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _opaque(path: str) -> bool:
    try:
        return os.getxattr(path, OVERLAY_OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError:
        return False


class LayeredFS:
    def __init__(self, layers: list[str]) -> None:
        """`layers`: directories bottom first (a plain rootfs is a list of one)."""
        self.layers = list(layers)

    def _entry(self, comps: list[str]) -> tuple[str, os.stat_result] | None:
        """The host path and lstat of the merged view's entry `comps` (no link following)."""
        for layer in reversed(self.layers):
            path = os.path.join(layer, *comps)
            try:
                st = os.lstat(path)
            except (FileNotFoundError, NotADirectoryError):
                st = None
            if st is not None:
                return None if _is_whiteout(st) else (path, st)
            # Absent here: does something in this layer hide the lower ones?
            cur = layer
            for c in comps[:-1]:
                cur = os.path.join(cur, c)
                try:
                    pst = os.lstat(cur)
                except (FileNotFoundError, NotADirectoryError):
                    break
                if not stat.S_ISDIR(pst.st_mode):
                    return None  # a whiteout, file or symlink replaces the directory
                if _opaque(cur):
                    return None
        return None

    def resolve(self, path: str) -> str | None:
        """The host path of `path` in the image, symlinks followed inside the image."""
        todo = [c for c in path.split("/") if c]
        done: list[str] = []
        links = 0
        while todo:
            c = todo.pop(0)
            if c == ".":
                continue
            if c == "..":
                if done:
                    done.pop()
                continue
            found = self._entry(done + [c])
            if found is None:
                return None
            host, st = found
            if stat.S_ISLNK(st.st_mode):
                links += 1
                if links > _MAX_LINKS:
                    return None
                target = os.readlink(host)
                if target.startswith("/"):
                    done = []
                todo[:0] = [t for t in target.split("/") if t]
                continue
            done.append(c)
        found = self._entry(done) if done else (self.layers[-1], os.lstat(self.layers[-1]))
        return found[0] if found else None

    def read(self, path: str, limit: int = 4 << 20) -> bytes | None:
        """A regular file's bytes (None if missing or not a regular file)."""
        host = self.resolve(path)
        if host is None:
            return None
        try:
            fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            return os.read(fd, limit)
        finally:
            os.close(fd)
