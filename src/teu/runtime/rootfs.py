"""The container's root filesystem: mounts, /dev, pivot_root, masked and read-only paths.

Runs inside the container's new mount namespace, in the init process, before
the user's program. Every destination is resolved inside the rootfs with
symlinks followed *within* it (resolve_in_root), so a hostile image cannot make
a mount land on the host.
"""

from __future__ import annotations

import os
import stat

from teu.errors import TeuError
from teu.runtime import linux as L
from teu.runtime.mount_options import PROPAGATION, parse, recursive_attrs

DEFAULT_DEVICES = (  # path, major, minor: what every container gets (runc's list)
    ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7),
    ("/dev/random", 1, 8), ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
)
DEV_SYMLINKS = (("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"),
                ("/proc/self/fd/1", "/dev/stdout"), ("/proc/self/fd/2", "/dev/stderr"),
                ("pts/ptmx", "/dev/ptmx"))


# The flags a bind remount sets per mount (each remount replaces all of them).
_PER_MOUNT_FLAGS = (L.MS_RDONLY | L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC | L.MS_NOATIME
                    | L.MS_NODIRATIME | L.MS_RELATIME | L.MS_STRICTATIME)


class RootfsError(TeuError):
    pass


def resolve_in_root(root: str, path: str) -> str:
    """`path` inside `root`, following symlinks as if root were '/'. Never leaves root."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            resolved.append(part)
            resolved.extend(p for p in parts if p not in ("", "."))
            # What does not exist yet will be created as plain directories below root.
            return _join_clean(root, resolved)
        if stat.S_ISLNK(st.st_mode):
            links += 1
            if links > 255:
                raise RootfsError(f"too many levels of symbolic links resolving {path}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
        else:
            resolved.append(part)
    return _join_clean(root, resolved)


def _check_ordinary_directory(rootfs: str, destination: str, kind: str) -> None:
    """proc and sysfs only on a real directory: an image whose /proc is a symlink would
    have them land elsewhere, where maskedPaths no longer cover them (runc refuses too)."""
    parent = resolve_in_root(rootfs, os.path.dirname(destination.rstrip("/")) or "/")
    try:
        st = os.lstat(os.path.join(parent, os.path.basename(destination.rstrip("/"))))
    except FileNotFoundError:
        return  # made as a plain directory
    if not stat.S_ISDIR(st.st_mode):
        raise RootfsError(f'filesystem "{kind}" must be mounted on ordinary directory '
                          f"({destination} is not one)")


def _join_clean(root: str, parts: list[str]) -> str:
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        else:
            out.append(p)
    return os.path.join(root, *out) if out else root


class RootfsBuilder:
    """Builds the mount tree of one container; `sys` is the syscall seam."""

    def __init__(self, sys: L.Syscalls, config: dict, rootfs: str, in_userns: bool) -> None:
        self.sys = sys
        self.config = config
        self.rootfs = rootfs
        self.linux = config.get("linux") or {}
        self.in_userns = in_userns
        self.before_cgroup_mount = lambda: None  # the init waits here for its cgroup
        self.new_cgroupns = any(ns.get("type") == "cgroup" and not ns.get("path")
                                for ns in self.linux.get("namespaces") or [])
        self.root_now = rootfs  # where the container's root is seen: "/" after pivot
        self.dev_readonly_flags = 0  # /dev asked for "ro": its flags, applied in finalize()
        self.bind_fds: dict[int, int] = {}  # mounts[i] -> O_PATH fd of its bind source

    # -- before pivot_root -------------------------------------------------
    def prepare(self) -> None:
        """Stop mount events flowing back to the host, and make rootfs a mount point."""
        prop = self.linux.get("rootfsPropagation")
        flag = L.MS_SLAVE | L.MS_REC
        if prop in ("private", "rprivate"):
            flag = L.MS_PRIVATE | L.MS_REC
        self.sys.mount(None, "/", None, flag, None)
        self.sys.mount(self.rootfs, self.rootfs, "bind", L.MS_BIND | L.MS_REC, None)

    def mount_all(self) -> None:
        for i, m in enumerate(self.config.get("mounts") or []):
            self.mount_one(m, self.bind_fds.get(i))

    def mount_one(self, m: dict, source_fd: int | None = None) -> None:
        opts = parse(m.get("options"))
        kind = m.get("type") or ""
        source = m.get("source") or ""
        is_bind = bool(opts.flags & L.MS_BIND) or kind == "bind"
        if is_bind and source_fd is not None:
            source = f"/proc/self/fd/{source_fd}"  # opened before the user switch
        dest = resolve_in_root(self.rootfs, m["destination"])
        if kind in ("proc", "sysfs"):
            _check_ordinary_directory(self.rootfs, m["destination"], kind)
        if kind == "cgroup" or kind == "cgroup2":
            self.before_cgroup_mount()
            self._mount_cgroup(dest, opts.flags)
            return
        if dest == os.path.join(self.rootfs, "dev") and opts.flags & L.MS_RDONLY and not is_bind:
            # A read-only /dev still needs /dev/pts, device nodes and symlinks made in it:
            # mounted writable now, made read-only in finalize() (runc does the same).
            self.dev_readonly_flags = opts.flags & _PER_MOUNT_FLAGS | L.MS_RDONLY
            opts.flags &= ~L.MS_RDONLY
        if is_bind:
            source = os.path.abspath(source) if source else source
            self._make_target(dest, source)
            self._bind(source, dest, opts.flags, rec=bool(opts.flags & L.MS_REC))
        else:
            os.makedirs(dest, exist_ok=True)
            if "tmpcopyup" in opts.extensions:
                self._tmpcopyup(source, dest, kind, opts.flags, opts.data)
            else:
                self._mount_fs(source or kind, dest, kind, opts.flags, opts.data)
        for prop in opts.propagation:
            self.sys.mount(None, dest, None, prop, None)
        attr_set, attr_clr = recursive_attrs(opts.extensions)
        if attr_set or attr_clr:
            self.sys.mount_setattr(dest, attr_set, attr_clr)

    def _mount_fs(self, source: str, dest: str, kind: str, flags: int, data: str) -> None:
        try:
            self.sys.mount(source, dest, kind, flags, data or None)
        except PermissionError:
            # In a user namespace sysfs and mqueue may be refused: bind the host's instead,
            # the way runc falls back, so rootless-style configs still start.
            if kind == "sysfs" or kind == "mqueue":
                host = "/sys" if kind == "sysfs" else "/dev/mqueue"
                self._bind(host, dest, flags | L.MS_REC, rec=True)
            else:
                raise

    def _bind(self, source: str, dest: str, flags: int, rec: bool) -> None:
        self.sys.mount(source, dest, "bind", L.MS_BIND | (L.MS_REC if rec else 0), None)
        extra = flags & ~(L.MS_BIND | L.MS_REC | L.MS_REMOUNT)
        if extra:
            self._remount(dest, extra)

    def _remount(self, dest: str, flags: int) -> None:
        """Bind-remount with `flags`, keeping flags the kernel locks on the source
        (nodev/nosuid/noexec/ro inherited from a more privileged mount)."""
        base = L.MS_BIND | L.MS_REMOUNT
        try:
            self.sys.mount(None, dest, None, base | flags, None)
        except PermissionError:
            self.sys.mount(None, dest, None, base | flags | _statvfs_flags(dest), None)

    def _make_target(self, dest: str, source: str) -> None:
        if os.path.lexists(dest):
            return
        if source and not os.path.isdir(source):
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "a"):
                pass
        else:
            os.makedirs(dest, exist_ok=True)

    def _tmpcopyup(self, source: str, dest: str, kind: str, flags: int, data: str) -> None:
        """Mount a tmpfs over dest holding a copy of what dest had (podman's option)."""
        import shutil
        import tempfile

        stash = tempfile.mkdtemp(prefix=".teu-copyup-", dir=self.rootfs)
        try:
            self.sys.mount(dest, stash, "bind", L.MS_BIND, None)
            self.sys.mount(source or "tmpfs", dest, kind or "tmpfs", flags, data or None)
            shutil.copytree(stash, dest, symlinks=True, dirs_exist_ok=True)
            self.sys.umount2(stash, L.MNT_DETACH)
        finally:
            os.rmdir(stash)

    def _mount_cgroup(self, dest: str, flags: int) -> None:
        """A cgroup mount shows the container's own cgroups: with a cgroup namespace a
        fresh cgroupfs, without one a bind of the host directories of its cgroup."""
        from teu.runtime.cgroup_mounts import mount_cgroups

        os.makedirs(dest, exist_ok=True)
        mount_cgroups(self.sys, dest, flags, self.new_cgroupns)

    def setup_dev(self, terminal: bool) -> None:
        """Device nodes, /dev symlinks and /dev/pts/ptmx, unless /dev is the host's bind."""
        dev_mount = next((m for m in self.config.get("mounts") or []
                          if m.get("destination") in ("/dev", "/dev/")), None)
        if dev_mount and (dev_mount.get("type") == "bind" or
                          any(o in ("bind", "rbind") for o in dev_mount.get("options") or [])):
            return
        devices = [{"path": p, "type": "c", "major": ma, "minor": mi, "fileMode": 0o666,
                    "uid": 0, "gid": 0} for p, ma, mi in DEFAULT_DEVICES]
        devices += self.linux.get("devices") or []
        for dev in devices:
            try:
                self._make_device(dev)
            except OSError as e:
                raise RootfsError(f"creating device {dev['path']}: {e.strerror}") from None
        for target, link in DEV_SYMLINKS:
            path = resolve_in_root(self.rootfs, link)
            if not os.path.lexists(path):
                os.symlink(target, path)
        if os.path.exists("/proc/kcore"):
            path = resolve_in_root(self.rootfs, "/dev/core")
            if not os.path.lexists(path):
                os.symlink("/proc/kcore", path)
        if terminal:
            console = resolve_in_root(self.rootfs, "/dev/console")
            if not os.path.lexists(console):
                with open(console, "a"):
                    pass

    def _make_device(self, dev: dict) -> None:
        path = resolve_in_root(self.rootfs, dev["path"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        kind = dev["type"]
        if self.in_userns:
            # mknod is refused in a user namespace: bind the host's node instead.
            if os.path.lexists(path):
                os.unlink(path)
            with open(path, "a"):
                pass
            self.sys.mount(dev["path"], path, "bind", L.MS_BIND, None)
            return
        mode = dev.get("fileMode", 0o666) & 0o7777
        fmt = {"c": stat.S_IFCHR, "u": stat.S_IFCHR, "b": stat.S_IFBLK, "p": stat.S_IFIFO}[kind]
        if os.path.lexists(path):
            os.unlink(path)
        rdev = os.makedev(dev.get("major", 0), dev.get("minor", 0)) if kind != "p" else 0
        os.mknod(path, mode | fmt, rdev)
        os.chmod(path, mode)  # mknod applies the umask
        os.chown(path, dev.get("uid", 0), dev.get("gid", 0))

    def bind_console(self, slave_path: str) -> None:
        """Bind the pty slave on /dev/console; called after pivot, when the root is '/'."""
        console = resolve_in_root(self.root_now, "/dev/console")
        if not os.path.lexists(console):
            with open(console, "a"):
                pass
        self.sys.mount(slave_path, console, "bind", L.MS_BIND, None)

    # -- the switch ----------------------------------------------------------
    def pivot(self, no_pivot: bool) -> None:
        os.chdir(self.rootfs)
        if no_pivot:
            # MS_MOVE of rootfs onto / then chroot: what runc's --no-pivot does. The old
            # tree stays in this mount namespace, out of sight but not out of the kernel's:
            # a full host proc or sysfs there would let a process in the container mount a
            # fresh, unmasked one (a nested user namespace passes mount_too_revealing).
            self._detach_host_proc_and_sys()
            self.sys.mount(self.rootfs, "/", None, L.MS_MOVE, None)
            os.chroot(".")
        else:
            # pivot_root(".", ".") stacks the old root on top of the new one; detaching
            # it then leaves only the new root, with no directory needed for put_old.
            self.sys.pivot_root(".", ".")
            self.sys.mount(None, ".", None, L.MS_SLAVE | L.MS_REC, None)
            self.sys.umount2(".", L.MNT_DETACH)
        os.chdir("/")
        self.root_now = "/"

    def _detach_host_proc_and_sys(self) -> None:
        """Unmount (or cover with tmpfs) every proc and sysfs outside the rootfs."""
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
        inside = self.rootfs.rstrip("/") + "/"
        found = []
        for line in lines:
            left, _, right = line.partition(" - ")
            fields = left.split()
            if len(fields) < 5 or right.split()[:1] not in (["proc"], ["sysfs"]):
                continue
            point = _unescape(fields[4])
            if point == self.rootfs or point.startswith(inside):
                continue  # the container's own
            found.append(point)
        for point in sorted(set(found), key=len, reverse=True):  # children first
            try:
                self.sys.mount(None, point, None, L.MS_SLAVE | L.MS_REC, None)
            except FileNotFoundError:
                continue  # gone with a parent already detached
            try:
                self.sys.umount2(point, L.MNT_DETACH)
            except OSError:
                self.sys.mount("tmpfs", point, "tmpfs", 0, None)

    # -- after pivot_root ----------------------------------------------------
    def finalize(self) -> None:
        prop = self.linux.get("rootfsPropagation")
        if prop:
            self.sys.mount(None, "/", None, PROPAGATION[prop], None)
        for path in self.linux.get("readonlyPaths") or []:
            self.readonly_path(path)
        for path in self.linux.get("maskedPaths") or []:
            self.mask_path(path)
        if self.dev_readonly_flags:
            self._remount("/dev", self.dev_readonly_flags)
        if (self.config.get("root") or {}).get("readonly"):
            self._remount("/", L.MS_RDONLY)

    def readonly_path(self, path: str) -> None:
        try:
            self.sys.mount(path, path, "bind", L.MS_BIND | L.MS_REC, None)
        except FileNotFoundError:
            return
        self._remount(path, L.MS_RDONLY | L.MS_REC | L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC)

    def mask_path(self, path: str) -> None:
        try:
            if os.path.isdir(path):
                self.sys.mount("tmpfs", path, "tmpfs", L.MS_RDONLY, None)
            else:
                self.sys.mount("/dev/null", path, "bind", L.MS_BIND, None)
        except FileNotFoundError:
            pass


def _unescape(field: str) -> str:
    """A mountinfo path: the kernel writes space, tab, newline and backslash as \\ooo."""
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def _statvfs_flags(path: str) -> int:
    st = os.statvfs(path)
    table = ((os.ST_RDONLY, L.MS_RDONLY), (os.ST_NOSUID, L.MS_NOSUID),
             (os.ST_NODEV, L.MS_NODEV), (os.ST_NOEXEC, L.MS_NOEXEC),
             (os.ST_NOATIME, L.MS_NOATIME), (os.ST_NODIRATIME, L.MS_NODIRATIME),
             (os.ST_RELATIME, L.MS_RELATIME))
    return sum(ms for st_flag, ms in table if st.f_flag & st_flag)
