"""COPY and ADD: files from a source into the step's root filesystem.

Destination rules (BuildKit's): a relative destination is under WORKDIR; with more
than one source, or a destination ending in `/`, it is a directory; a directory
source stands for its contents; a single file onto an existing directory goes
inside it. Owners are 0:0 unless --chown (names looked up in the destination's
/etc/passwd and /etc/group; a user alone also gives its number as the group), or
the files come from a stage with --from (owners kept). --chmod takes octal or
symbolic modes (u+x,go-w) and applies to every copied entry. mtimes are kept.

`plan` decides everything without writing (the cache key needs the list of what
would be written and its content digests); `apply` writes it.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat

from teu.build.context import Entry, Source
from teu.build.errors import BuildError
from teu.build.record import field, record
from teu.oci import digest as D

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~3 ms

if TYPE_CHECKING:
    from collections.abc import Callable


@record
class Item:
    kind: str            # "file" | "dir" | "link" | "dev" | "data"
    dest: str            # absolute path in the image
    mode: int            # permission bits (with suid/sgid/sticky)
    uid: int
    gid: int
    mtime_ns: int = 0
    src: str = ""        # host path (file), link target (link)
    data: bytes = b""    # heredoc or downloaded content held in memory
    rdev: int = 0
    digest: str = ""

    def key(self) -> list:
        return [self.kind, self.dest, self.mode, self.uid, self.gid, self.digest]


@record
class Plan:
    items: list[Item] = field(default_factory=list)
    dirs_made: set[str] = field(default_factory=set)

    def digest(self) -> str:
        h = D.sha256(256 * len(self.items))
        for it in self.items:
            h.update(repr(it.key()).encode())
        return h.hexdigest()


# -- modes ---------------------------------------------------------------------------

_SYMBOLIC = r"^([ugoa]*)([-+=])([rwxXst]*)$"  # compiled on first use (re caches it)


def parse_chmod(spec: str) -> tuple[int | None, list[tuple[str, str, str]]]:
    """(octal mode, symbolic clauses); BuildError if neither."""
    if re.fullmatch(r"[0-7]{1,4}", spec):
        return int(spec, 8), []
    clauses = []
    for part in spec.split(","):
        m = re.match(_SYMBOLIC, part)
        if not m:
            raise BuildError(f"invalid chmod parameter: {spec!r} (octal like 0755, or "
                             "symbolic like u+x,go-w)")
        clauses.append((m.group(1) or "a", m.group(2), m.group(3)))
    return None, clauses


def apply_chmod(mode: int, octal: int | None, clauses: list, is_dir: bool) -> int:
    if octal is not None:
        return octal
    for who, op, perms in clauses:
        shifts = {"u": 6, "g": 3, "o": 0}
        targets = "ugo" if "a" in who else who
        bits = 0
        for t in targets:
            s = shifts[t]
            for p in perms:
                if p == "r":
                    bits |= 4 << s
                elif p == "w":
                    bits |= 2 << s
                elif p == "x" or (p == "X" and (is_dir or mode & 0o111)):
                    bits |= 1 << s
                elif p == "s" and t in "ug":
                    bits |= stat.S_ISUID if t == "u" else stat.S_ISGID
                elif p == "t":
                    bits |= stat.S_ISVTX
        if op == "+":
            mode |= bits
        elif op == "-":
            mode &= ~bits
        else:
            mask = 0
            for t in targets:
                mask |= 7 << shifts[t]
            mode = (mode & ~mask) | bits
    return mode & 0o7777


# -- owners --------------------------------------------------------------------------


def _lookup(read: Callable[[str], bytes | None] | None, file: str, name: str) -> int | None:
    data = read(file) if read is not None else None
    for line in (data or b"").decode("utf-8", "replace").splitlines():
        parts = line.split(":")
        if len(parts) >= 3 and parts[0] == name:
            try:
                return int(parts[2])
            except ValueError:
                return None
    return None


def parse_chown(spec: str, read: Callable[[str], bytes | None] | None) -> tuple[int, int]:
    """uid, gid of a --chown value; names are read with `read` (the image's files)."""
    user, sep, group = spec.partition(":")
    if user.isdigit():
        uid = int(user)
    else:
        found = _lookup(read, "/etc/passwd", user)
        if found is None:
            raise BuildError(f"unable to convert uid/gid chown string to host mapping: "
                             f"can't find uid for user {user}: no such user: {user}")
        uid = found
    if not sep or not group:
        return uid, uid
    if group.isdigit():
        return uid, int(group)
    gid = _lookup(read, "/etc/group", group)
    if gid is None:
        raise BuildError(f"unable to convert uid/gid chown string to host mapping: can't "
                         f"find gid for group {group}: no such group: {group}")
    return uid, gid


# -- planning ------------------------------------------------------------------------


def dest_path(dest: str, workdir: str) -> tuple[str, bool]:
    """(absolute destination, whether it names a directory)."""
    is_dir = dest.endswith("/") or dest in (".", "") or dest.endswith("/.")
    if not dest.startswith("/"):
        dest = posixpath.join(workdir or "/", dest)
    return posixpath.normpath(dest), is_dir


def plan(source: Source, patterns: list[str], dest: str, workdir: str, what: str, *,
         chown: tuple[int, int] | None, chmod: str = "", parents: bool = False,
         excludes: list[str] | None = None, dest_is_dir_in_image: bool = False,
         extract: bool = False) -> Plan:
    """Every entry COPY would write, in order."""
    octal, clauses = parse_chmod(chmod) if chmod else (None, [])
    exclude = None
    if excludes:
        from teu.build.dockerignore import Matcher
        from teu.build.dockerignore import parse as parse_patterns

        exclude = Matcher(parse_patterns("\n".join(excludes)), "--exclude")
    target, is_dir = dest_path(dest, workdir)
    chosen: list[str] = []
    for p in patterns:
        chosen += source.select(p, what)
    if exclude is not None:
        chosen = [c for c in chosen if not exclude.excluded(c)]
        if not chosen:
            raise BuildError(f"{what}: every source is excluded by --exclude")
    many = len(chosen) > 1 or len(patterns) > 1 or any(c in "".join(patterns) for c in "*?[")
    into_dir = is_dir or many or dest_is_dir_in_image
    out = Plan()
    for rel in chosen:
        entries = source.walk(rel, what, exclude)
        top = entries[0]
        base_name = posixpath.basename(rel) or ""
        if parents:
            base = posixpath.join(target, rel)
            top_dest = base
        elif stat.S_ISDIR(top.st.st_mode):
            base = target
            top_dest = target
        else:
            top_dest = posixpath.join(target, base_name) if into_dir else target
            base = top_dest
        if extract and stat.S_ISREG(top.st.st_mode) and is_archive(top.path):
            out.items.append(Item("archive", target, 0, 0, 0, src=top.path,
                                  digest=source.digest(top)))
            continue
        for e in entries:
            if e.rel == "":
                d = top_dest
                if stat.S_ISDIR(e.st.st_mode) and not parents:
                    continue  # a directory source is its contents
            else:
                d = posixpath.join(base, e.rel)
            out.items.append(_item(source, e, d, chown, octal, clauses))
    return out


def source_digest(source: Source, patterns: list[str], what: str,
                  excludes: list[str] | None = None) -> str:
    """What the sources hold (names, modes, content digests; not mtimes), for the cache
    key: known without looking at the destination image."""
    exclude = None
    if excludes:
        from teu.build.dockerignore import Matcher
        from teu.build.dockerignore import parse as parse_patterns

        exclude = Matcher(parse_patterns("\n".join(excludes)), "--exclude")
    h = D.sha256(4096)
    for p in patterns:
        for rel in source.select(p, what):
            if exclude is not None and exclude.excluded(rel):
                continue
            for e in source.walk(rel, what, exclude):
                h.update(repr((p, rel, e.rel, e.st.st_mode, source.digest(e))).encode())
    return h.hexdigest()


def _item(source: Source, e: Entry, dest: str, chown: tuple[int, int] | None,
          octal: int | None, clauses: list) -> Item:
    st = e.st
    if chown is not None:
        uid, gid = chown
    elif source.keep_owner:
        uid, gid = st.st_uid, st.st_gid
    else:
        uid, gid = 0, 0
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISDIR(st.st_mode):
        kind = "dir"
    elif stat.S_ISREG(st.st_mode):
        kind = "file"
    elif stat.S_ISLNK(st.st_mode):
        kind = "link"
    else:
        kind = "dev"
    if (octal is not None or clauses) and kind != "link":
        mode = apply_chmod(mode, octal, clauses, kind == "dir")
    src = os.readlink(e.path) if kind == "link" else e.path
    return Item(kind, dest, mode, uid, gid, st.st_mtime_ns, src, rdev=st.st_rdev,
                digest=source.digest(e))


def data_item(dest: str, data: bytes, mode: int, chown: tuple[int, int] | None,
              mtime_ns: int = 0) -> Item:
    uid, gid = chown if chown is not None else (0, 0)
    return Item("data", dest, mode, uid, gid, mtime_ns, data=data,
                digest=D.compute(data).encoded)


# -- writing -------------------------------------------------------------------------


def apply(p: Plan, rootfs: str, chown: tuple[int, int] | None, link: bool = False) -> None:
    """Write the plan into rootfs (a mounted view of the image, or an empty dir for
    --link). Directories made on the way are 0755 and owned by --chown's user."""
    from teu.runtime.rootfs import resolve_in_root

    parent_owner = chown if chown is not None else (0, 0)
    dir_times: list[tuple[str, int]] = []
    for it in p.items:
        if it.kind == "archive":
            host_dir = _make_dirs(rootfs, it.dest, parent_owner, link)
            extract_archive(it.src, host_dir)
            continue
        parent = posixpath.dirname(it.dest)
        host_parent = _make_dirs(rootfs, parent, parent_owner, link)
        host = os.path.join(host_parent, posixpath.basename(it.dest)) \
            if it.dest != "/" else rootfs
        if it.kind == "dir":
            if it.dest == "/":
                host = rootfs
            elif os.path.lexists(host) and not os.path.isdir(host):
                _remove(host)
            if not os.path.isdir(host):
                os.mkdir(host, 0o700)
            else:
                host = resolve_in_root(rootfs, it.dest)
            os.chown(host, it.uid, it.gid, follow_symlinks=False)
            os.chmod(host, it.mode)
            dir_times.append((host, it.mtime_ns))
            continue
        if os.path.lexists(host):
            _remove(host)
        if it.kind == "link":
            os.symlink(it.src, host)
        elif it.kind == "dev":
            _mknod(host, it)
        else:
            fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                         | os.O_CLOEXEC, 0o600)
            try:
                if it.kind == "data":
                    _write_all(fd, it.data)
                else:
                    with open(it.src, "rb") as src:
                        _copy_fd(src.fileno(), fd)
            finally:
                os.close(fd)
        os.chown(host, it.uid, it.gid, follow_symlinks=False)
        if it.kind != "link":
            os.chmod(host, it.mode)
        if it.mtime_ns:
            os.utime(host, ns=(it.mtime_ns, it.mtime_ns), follow_symlinks=False)
    for host, mtime in reversed(dir_times):
        if mtime:
            os.utime(host, ns=(mtime, mtime))


def _mknod(host: str, it: Item) -> None:
    st = os.lstat(it.src)
    os.mknod(host, stat.S_IFMT(st.st_mode) | it.mode, it.rdev)


def _make_dirs(rootfs: str, path: str, owner: tuple[int, int], link: bool) -> str:
    """The host directory for `path` in the image, made (0755, owner) where missing;
    symlinks on the way are followed inside rootfs."""
    from teu.runtime.rootfs import resolve_in_root

    host = resolve_in_root(rootfs, path)
    if os.path.isdir(host):
        return host
    # Make each missing component, so each gets the owner and mode.
    cur = rootfs
    for part in [p for p in path.split("/") if p]:
        nxt = resolve_in_root(rootfs, posixpath.join(os.path.relpath(cur, rootfs), part)
                              if cur != rootfs else part)
        if os.path.lexists(nxt) and not os.path.isdir(nxt):
            raise BuildError(f"cannot copy to {path}: {part} is not a directory")
        if not os.path.isdir(nxt):
            os.mkdir(nxt, 0o755)
            os.chown(nxt, *owner)
        cur = nxt
    return host


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        import shutil  # a directory replaced: rare (shutil imports bz2 and lzma)

        shutil.rmtree(path)
    else:
        os.unlink(path)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _copy_fd(src: int, dst: int) -> None:
    try:
        size = os.fstat(src).st_size
        copied = 0
        while copied < size:
            n = os.copy_file_range(src, dst, size - copied)
            if n == 0:
                break
            copied += n
        while block := os.read(src, 1 << 20):
            _write_all(dst, block)
    except OSError:
        os.lseek(src, 0, os.SEEK_SET)
        os.lseek(dst, 0, os.SEEK_SET)
        os.ftruncate(dst, 0)
        while block := os.read(src, 1 << 20):
            _write_all(dst, block)


# -- ADD of local archives -----------------------------------------------------------

_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


def is_archive(path: str) -> bool:
    """A tar (plain, gzip, bzip2, xz or zstd), by content as docker decides."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return False
    if any(head.startswith(m) for m in _MAGIC):
        return True
    return len(head) >= 262 and head[257:262] == b"ustar"


def extract_archive(path: str, dest: str) -> None:
    """Unpack a tar into dest safely (teu.image's layer applier: no path leaves dest)."""
    from teu.image.apply import apply_layer
    from teu.image.compression import decompressed
    from teu.image.errors import LayerError

    with open(path, "rb") as raw:
        head = raw.read(6)
        raw.seek(0)
        stream = raw
        if head.startswith(b"BZh"):
            import bz2

            stream = bz2.BZ2File(raw)  # type: ignore[assignment]
        elif head.startswith(b"\xfd7zXZ\x00"):
            import lzma

            stream = lzma.LZMAFile(raw)  # type: ignore[assignment]
        try:
            apply_layer(decompressed(stream), dest, overlay=False)  # type: ignore[arg-type]
        except LayerError as e:
            raise BuildError(f"ADD {os.path.basename(path)}: {e}") from None
