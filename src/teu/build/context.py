"""Where COPY and ADD read from: the build context (a directory read in place, with its
.dockerignore) or another stage's or image's root filesystem.

Sources are chosen the way BuildKit does: paths are relative to the source's root
(a leading `/` too), wildcards (`*`, `?`, `[...]`) match one path component, a
directory stands for its contents. Only what a step names is read and hashed, so
a big context costs nothing until used. A path that leaves the root (`../x`, a
symlink pointing out) is refused; a path that is missing is named together with
the root and the .dockerignore line that excluded it, if one did.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import stat

from teu.build.dockerignore import Matcher
from teu.build.dockerignore import parse as parse_ignore
from teu.build.errors import BuildError
from teu.build.record import record
from teu.oci import digest as D


@record
class Entry:
    path: str          # on the host
    rel: str           # relative to the source's root ("" for the root itself)
    st: os.stat_result


class Source:
    """A root directory files are copied from."""

    def __init__(self, root: str, name: str, ignore: Matcher | None = None,
                 keep_owner: bool = False) -> None:
        self.root = os.path.abspath(root)
        self.name = name              # "context", "stage build", "image busybox"
        self.ignore = ignore
        self.keep_owner = keep_owner  # files of a stage keep their owners (COPY --from)
        self._hashes: dict[tuple, str] = {}

    # -- choosing sources -----------------------------------------------------------

    def _clean(self, pattern: str, what: str) -> str:
        raw = pattern
        joined = posixpath.normpath(posixpath.join("/", raw))
        if not self.ignore:  # a stage or an image: its root is "/" anyway
            return joined.lstrip("/")
        # In the context, `..` that climbs above the root is an escape, not a no-op.
        depth = 0
        for part in raw.split("/"):
            if part == "..":
                depth -= 1
                if depth < 0:
                    raise BuildError(f"{what}: forbidden path outside the build context: "
                                     f"{pattern}")
            elif part not in ("", "."):
                depth += 1
        return joined.lstrip("/")

    def select(self, pattern: str, what: str) -> list[str]:
        """The relative paths a source argument names (wildcards expanded)."""
        rel = self._clean(pattern, what)
        if not any(c in rel for c in "*?["):
            host = self.host(rel, what, follow_last=True)
            if host is None or not os.path.lexists(host) or self._excluded(rel):
                raise self._not_found(pattern, rel, what)
            return [rel]
        parts = rel.split("/")
        found = [""]
        for part in parts:
            nxt = []
            for base in found:
                host = os.path.join(self.root, base)
                if not any(c in part for c in "*?["):
                    cand = posixpath.join(base, part) if base else part
                    if os.path.lexists(os.path.join(self.root, cand)):
                        nxt.append(cand)
                    continue
                try:
                    names = sorted(os.listdir(host))
                except (NotADirectoryError, FileNotFoundError):
                    continue
                for name in names:
                    if fnmatch.fnmatchcase(name, part):
                        nxt.append(posixpath.join(base, name) if base else name)
            found = nxt
        found = [f for f in found if not self._excluded(f)]
        if not found:
            raise self._not_found(pattern, rel, what, wildcard=True)
        return found

    def _excluded(self, rel: str) -> bool:
        return bool(self.ignore and rel and self.ignore.excluded(rel))

    def _not_found(self, pattern: str, rel: str, what: str, wildcard: bool = False) -> BuildError:
        where = f"the build context ({self.root})" if self.ignore is not None \
            else self.name
        msg = f"{what}: \"/{rel}\" not found in {where}"
        if wildcard:
            msg = f"{what}: no source files were specified: nothing in {where} matches " \
                  f"{pattern!r}"
        if self.ignore is not None and rel:
            hit = self.ignore.match(rel)
            if hit is not None:
                msg += f" (excluded by {self.ignore.file}:{hit.line}: {hit.text})"
        return BuildError(msg)

    def host(self, rel: str, what: str, follow_last: bool = False) -> str | None:
        """The host path of `rel`, symlinks in its directories followed inside the root
        (and the last one too with follow_last); a link that points out is refused."""
        parts = [p for p in rel.split("/") if p]
        done: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            cand = os.path.join(self.root, *done, part)
            try:
                st = os.lstat(cand)
            except (FileNotFoundError, NotADirectoryError):
                return None
            if stat.S_ISLNK(st.st_mode) and (parts or follow_last):
                hops += 1
                if hops > 40:
                    raise BuildError(f"{what}: too many symbolic links in {rel}")
                target = os.readlink(cand)
                if self.ignore is not None:
                    resolved = posixpath.normpath(posixpath.join("/", *done, target)) \
                        if not target.startswith("/") else None
                    if resolved is None or resolved.startswith("/.."):
                        raise BuildError(f"{what}: forbidden path outside the build context: "
                                         f"{rel} is a symbolic link to {target}")
                if target.startswith("/"):
                    done = []
                parts[:0] = [t for t in target.split("/") if t]
                continue
            done.append(part)
        return os.path.join(self.root, *done)

    # -- walking and hashing ----------------------------------------------------------

    def walk(self, rel: str, what: str, excludes: Matcher | None = None) -> list[Entry]:
        """The entry `rel` and, for a directory, everything below it (not excluded)."""
        host = self.host(rel, what, follow_last=True)
        if host is None:
            raise self._not_found(rel, rel, what)
        st = os.lstat(host)
        out = [Entry(host, "", st)]
        if stat.S_ISDIR(st.st_mode):
            self._walk_dir(host, rel, "", out, excludes)
        return out

    def _walk_dir(self, host: str, ctx_rel: str, rel: str, out: list[Entry],
                  excludes: Matcher | None) -> None:
        try:
            names = sorted(os.listdir(host))
        except OSError as e:
            raise BuildError(f"reading {host}: {e.strerror}") from None
        for name in names:
            child_ctx = posixpath.join(ctx_rel, name) if ctx_rel else name
            child_rel = posixpath.join(rel, name) if rel else name
            if self.ignore is not None and self.ignore.excluded(child_ctx):
                if self.ignore.skip_dir(child_ctx):
                    continue
                p = os.path.join(host, name)
                if not os.path.isdir(p) or os.path.islink(p):
                    continue
                # An excluded directory may still hold exceptions: walk, don't list it.
                sub: list[Entry] = []
                self._walk_dir(p, child_ctx, child_rel, sub, excludes)
                if sub:
                    out.append(Entry(p, child_rel, os.lstat(p)))
                    out.extend(sub)
                continue
            if excludes is not None and (excludes.excluded(child_ctx)
                                         or excludes.excluded(child_rel)):
                continue
            p = os.path.join(host, name)
            st = os.lstat(p)
            out.append(Entry(p, child_rel, st))
            if stat.S_ISDIR(st.st_mode):
                self._walk_dir(p, child_ctx, child_rel, out, excludes)

    def digest(self, e: Entry) -> str:
        """What an entry's content is: a file's sha256, a link's target, a device's numbers."""
        st = e.st
        if stat.S_ISREG(st.st_mode):
            key = (e.path, st.st_size, st.st_mtime_ns, st.st_ino)
            known = self._hashes.get(key)
            if known is None:
                h = D.sha256(st.st_size)
                with open(e.path, "rb") as f:
                    while block := f.read(1 << 20):
                        h.update(block)
                known = self._hashes[key] = h.hexdigest()
            return known
        if stat.S_ISLNK(st.st_mode):
            return "link:" + os.readlink(e.path)
        if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            return f"dev:{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
        return ""


def load_ignore(context: str, dockerfile: str | None) -> Matcher:
    """<Dockerfile>.dockerignore next to the Dockerfile wins over .dockerignore."""
    candidates = []
    if dockerfile:
        candidates.append(dockerfile + ".dockerignore")
    candidates.append(os.path.join(context, ".dockerignore"))
    for path in candidates:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return Matcher(parse_ignore(f.read()), os.path.basename(path))
        except (FileNotFoundError, NotADirectoryError):
            continue
    return Matcher([], ".dockerignore")
