"""A container's root filesystem: overlayfs over the image's shared layers, privately.

Every mount the engine makes (the overlay, the secrets tmpfs) is made in a
private mount namespace of the `teu` process that starts the container
(`private_mount_namespace`). The OCI runtime, started from that process
(in-process, or by conmon, which inherits the namespace), builds the
container's own mount namespace as a copy of it. So the host never sees
these mounts: nothing is left mounted when teu is killed, and nothing needs
unmounting when the container stops; the mounts go when the last process
that can see them exits.

Layers are overlayfs lower dirs as the store unpacks them (whiteouts as 0/0
character devices, opaque dirs by xattr). mount(2) takes at most one page of
options, about 50 layers of absolute paths, so longer stacks are mounted with
the new mount API's `lowerdir+` (one layer per call, Linux 6.8+) or, failing
that, with paths relative to the layers directory. Where overlayfs cannot be
used (TEU_STORAGE_DRIVER=vfs, or the mount fails), the layers are copied once
into rootfs/ instead, applying the whiteouts.
"""

from __future__ import annotations

import errno
import os

from teu.engine.errors import EngineError

_private = False
PAGE_LIMIT = 4000  # mount(2)'s data is one page (4096) including the NUL; keep a margin

# New mount API (the same syscall numbers on every architecture).
SYS_OPEN_TREE, SYS_MOVE_MOUNT, SYS_FSOPEN, SYS_FSCONFIG, SYS_FSMOUNT = 428, 429, 430, 431, 432
FSCONFIG_SET_STRING, FSCONFIG_CMD_CREATE = 1, 6
MOVE_MOUNT_F_EMPTY_PATH = 4
OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC = 1, os.O_CLOEXEC


class RootfsError(EngineError):
    pass


def private_mount_namespace() -> None:
    """Move this process into its own mount namespace where nothing propagates out."""
    global _private
    if _private:
        return
    from teu.runtime import linux as L

    sys = L.syscalls()
    try:
        sys.unshare(L.CLONE_NEWNS)
        sys.mount(None, "/", None, L.MS_REC | L.MS_PRIVATE, None)
    except OSError as e:
        raise RootfsError(f"cannot make a private mount namespace: {e.strerror}") from None
    _private = True


def storage_driver() -> str:
    return os.environ.get("TEU_STORAGE_DRIVER") or "overlay"


def clear(target: str) -> None:
    """Unmount whatever is stacked on target in this namespace (left from an earlier start)."""
    from teu.runtime import linux as L

    sys = L.syscalls()
    for _ in range(64):
        try:
            sys.umount2(target, L.MNT_DETACH)
        except OSError:
            return


def mount_overlay(layers: list[str], upper: str, work: str, target: str,
                  empty: str, volatile: bool = False, links: str | None = None) -> None:
    """Mount the layers (bottom first) with upper/work on target.

    `volatile` (for --rm containers, as podman does): overlayfs skips syncing the
    upper filesystem, which otherwise makes the unmount wait for a syncfs of the
    whole host filesystem (tens of ms on a busy disk)."""
    lowers = list(reversed(layers)) or [empty]
    esc = [_escape(p) for p in lowers]
    data = f"lowerdir={':'.join(esc)},upperdir={_escape(upper)},workdir={_escape(work)}"
    if volatile:
        data += ",volatile"
    from teu.runtime import linux as L

    sys = L.syscalls()
    if len(data) <= PAGE_LIMIT:
        try:
            sys.mount("overlay", target, "overlay", 0, data)
            return
        except OSError as e:
            raise RootfsError(f"mounting the overlay on {target}: {e.strerror}") from None
    try:
        _mount_new_api(lowers, upper, work, target, volatile)
        return
    except OSError as e:
        if e.errno not in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise RootfsError(f"mounting the overlay ({len(lowers)} layers) on {target}: "
                              f"{e.strerror}") from None
    _mount_relative(lowers, upper, work, target, volatile, links or os.path.dirname(upper))


def _escape(path: str) -> str:
    return path.replace("\\", "\\\\").replace(":", "\\:").replace(",", "\\,")


def _mount_new_api(lowers: list[str], upper: str, work: str, target: str,
                   volatile: bool) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    call = libc.syscall
    call.restype = ctypes.c_long

    def check(rc: int, what: str) -> int:
        if rc < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"{what}: {os.strerror(err)}")
        return rc

    fs = check(call(ctypes.c_long(SYS_FSOPEN), b"overlay", ctypes.c_uint(1)), "fsopen")
    try:
        def set_string(key: str, value: str) -> None:
            check(call(ctypes.c_long(SYS_FSCONFIG), ctypes.c_int(fs),
                       ctypes.c_uint(FSCONFIG_SET_STRING), key.encode(), os.fsencode(value),
                       ctypes.c_int(0)), f"fsconfig {key}")

        for lower in lowers:
            set_string("lowerdir+", lower)
        set_string("upperdir", upper)
        set_string("workdir", work)
        if volatile:
            check(call(ctypes.c_long(SYS_FSCONFIG), ctypes.c_int(fs), ctypes.c_uint(0),
                       b"volatile", None, ctypes.c_int(0)), "fsconfig volatile")
        check(call(ctypes.c_long(SYS_FSCONFIG), ctypes.c_int(fs),
                   ctypes.c_uint(FSCONFIG_CMD_CREATE), None, None, ctypes.c_int(0)),
              "fsconfig create")
        mnt = check(call(ctypes.c_long(SYS_FSMOUNT), ctypes.c_int(fs), ctypes.c_uint(1),
                         ctypes.c_uint(0)), "fsmount")
        try:
            check(call(ctypes.c_long(SYS_MOVE_MOUNT), ctypes.c_int(mnt), b"",
                       ctypes.c_int(-100), os.fsencode(target),
                       ctypes.c_uint(MOVE_MOUNT_F_EMPTY_PATH)), "move_mount")
        finally:
            os.close(mnt)
    finally:
        os.close(fs)


def _mount_relative(lowers: list[str], upper: str, work: str, target: str,
                    volatile: bool, links: str) -> None:
    """Older kernels: short symlinks (links/<12 hex>, as podman's l/ dir) in the
    mount's data, resolved relative to links as the working directory."""
    from teu.runtime import linux as L

    os.makedirs(links, mode=0o700, exist_ok=True)
    names = []
    for path in lowers:
        import hashlib

        name = hashlib.sha256(path.encode()).hexdigest()[:12]
        link = os.path.join(links, name)
        try:
            os.symlink(path, link)
        except FileExistsError:
            if os.readlink(link) != path:
                os.unlink(link)
                os.symlink(path, link)
        names.append(name)
    data = f"lowerdir={':'.join(names)},upperdir={_escape(upper)},workdir={_escape(work)}"
    if volatile:
        data += ",volatile"
    if len(data) > PAGE_LIMIT:
        raise RootfsError(f"image has {len(lowers)} layers: too many for one overlay mount "
                          "on this kernel (use TEU_STORAGE_DRIVER=vfs)")
    cwd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.chdir(links)
        L.syscalls().mount("overlay", target, "overlay", 0, data)
    except OSError as e:
        raise RootfsError(f"mounting the overlay on {target}: {e.strerror}") from None
    finally:
        os.fchdir(cwd)
        os.close(cwd)


def mount_shm_of(pid: int, target: str) -> None:
    """Another container's /dev/shm (the tmpfs in its mount namespace) on target, in
    ours: `--ipc container:X` shares X's POSIX shared memory, as docker does. A bind
    from /proc/PID/root/dev/shm is refused (EINVAL: a mount of another namespace), and
    so is open_tree(2)'s clone of it from here; so a child joins X's mount namespace,
    clones the mount there (a detached copy of the same tmpfs), comes back to ours
    and moves the copy onto target. A child: joining a mount namespace changes the
    root and cwd, and needs a process of one thread."""
    import ctypes

    from teu.runtime import linux as L

    clear(target)
    os.makedirs(target, mode=0o755, exist_ok=True)
    ours = os.open("/proc/self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
    r, w = os.pipe2(os.O_CLOEXEC)
    child = os.fork()
    if child == 0:
        try:
            os.close(r)
            theirs = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
            sys = L.syscalls()
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            sys.setns(theirs, L.CLONE_NEWNS)
            tree = libc.syscall(ctypes.c_long(SYS_OPEN_TREE), ctypes.c_int(-100), b"/dev/shm",
                                ctypes.c_uint(OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC))
            if tree < 0:
                raise OSError(ctypes.get_errno(), "cloning its /dev/shm")
            sys.setns(ours, L.CLONE_NEWNS)
            if libc.syscall(ctypes.c_long(SYS_MOVE_MOUNT), ctypes.c_int(tree), b"",
                            ctypes.c_int(-100), os.fsencode(target),
                            ctypes.c_uint(MOVE_MOUNT_F_EMPTY_PATH)) < 0:
                raise OSError(ctypes.get_errno(), f"mounting it on {target}")
            os._exit(0)
        except BaseException as e:  # noqa: BLE001 - the parent says what went wrong
            try:
                os.write(w, f"{e.args[-1] if isinstance(e, OSError) else e}: "
                            f"{os.strerror(e.errno) if isinstance(e, OSError) else ''}"
                         .encode())
            finally:
                os._exit(1)
    os.close(w)
    os.close(ours)
    try:
        why = os.read(r, 4096).decode(errors="replace")
    finally:
        os.close(r)
    _, status = os.waitpid(child, 0)
    if status != 0:
        raise RootfsError(f"sharing /dev/shm of the container (pid {pid}): "
                          f"{why or 'failed'}")


def mount_secrets(directory: str, secrets: list[dict]) -> None:
    """A small tmpfs with the secrets' contents: never on disk, never in a layer."""
    from teu.runtime import linux as L

    clear(directory)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    try:
        L.syscalls().mount("tmpfs", directory, "tmpfs", L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC,
                           "mode=0700,size=4m")
    except OSError as e:
        raise RootfsError(f"mounting the secrets tmpfs: {e.strerror}") from None
    for s in secrets:
        name = s["Target"].strip("/").replace("/", "_")
        path = os.path.join(directory, name)
        try:
            with open(s["Source"], "rb") as src:
                data = src.read()
        except OSError as e:
            raise RootfsError(f"secret {s['Source']}: {e.strerror}") from None
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, data)
            os.fchown(fd, s.get("UID", 0), s.get("GID", 0))
            os.fchmod(fd, s.get("Mode", 0o400))
        finally:
            os.close(fd)


# -- the copying fallback ------------------------------------------------------------

def copy_layers(layers: list[str], target: str) -> None:
    """Flatten the layers (bottom first) into target, applying overlay-style whiteouts."""
    import stat

    os.makedirs(target, exist_ok=True)
    for layer in layers:
        for top, dirs, files in os.walk(layer):
            rel = os.path.relpath(top, layer)
            dest_dir = os.path.normpath(os.path.join(target, rel))
            if rel != "." and _is_opaque(top) and os.path.isdir(dest_dir):
                _empty_dir(dest_dir)
            for name in dirs + files:
                src = os.path.join(top, name)
                dst = os.path.join(dest_dir, name)
                st = os.lstat(src)
                if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                    _remove(dst)  # a whiteout
                    continue
                if stat.S_ISDIR(st.st_mode):
                    if os.path.lexists(dst) and not os.path.isdir(dst):
                        _remove(dst)
                    if not os.path.isdir(dst):
                        os.mkdir(dst)
                    _copy_meta(src, dst, st)
                    continue
                _remove(dst)
                if stat.S_ISLNK(st.st_mode):
                    os.symlink(os.readlink(src), dst)
                elif stat.S_ISREG(st.st_mode):
                    _copy_file(src, dst)
                else:
                    os.mknod(dst, st.st_mode, st.st_rdev)
                _copy_meta(src, dst, st)


def _is_opaque(path: str) -> bool:
    try:
        return os.getxattr(path, "trusted.overlay.opaque", follow_symlinks=False) == b"y"
    except OSError:
        return False


def _empty_dir(path: str) -> None:
    for name in os.listdir(path):
        _remove(os.path.join(path, name))


def _remove(path: str) -> None:
    import shutil

    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def _copy_file(src: str, dst: str) -> None:
    fi = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fo = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            size = os.fstat(fi).st_size
            while size > 0:
                n = os.copy_file_range(fi, fo, size)
                if n == 0:
                    break
                size -= n
        finally:
            os.close(fo)
    finally:
        os.close(fi)


def _copy_meta(src: str, dst: str, st: os.stat_result) -> None:
    import stat

    os.chown(dst, st.st_uid, st.st_gid, follow_symlinks=False)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(dst, stat.S_IMODE(st.st_mode))
    try:
        for name in os.listxattr(src, follow_symlinks=False):
            if name.startswith("trusted.overlay."):
                continue
            os.setxattr(dst, name, os.getxattr(src, name, follow_symlinks=False),
                        follow_symlinks=False)
    except OSError:
        pass
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
