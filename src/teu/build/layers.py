"""A step's filesystem: an overlay over the stage's layers, and its upper directory made
into a layer of the store.

A layer is committed once: the upper directory is written as a tar (OCI whiteouts)
whose sha256 is the diff ID, gzipped (deterministically) into a blob, and then the
directory itself is renamed to layers/<chain-id>: the store keeps layers
overlay-style, so nothing is unpacked again. With SOURCE_DATE_EPOCH, every mtime
after the epoch is clamped to it first (BuildKit's rewrite-timestamp), so two
builds of one context give the same bytes.
"""

from __future__ import annotations

import os
import stat
import threading

from teu.build.record import record
from teu.oci import digest as D

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~3 ms

if TYPE_CHECKING:
    from teu.image.store import Store

LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
_KEEP_XATTR = "trusted.overlay.opaque"


@record
class LayerRef:
    chain_id: str
    diff_id: str
    blob: str
    size: int          # uncompressed tar bytes
    blob_size: int
    media_type: str = LAYER_TYPE

    def to_json(self) -> dict:
        return {"chain_id": self.chain_id, "diff_id": self.diff_id, "blob": self.blob,
                "size": self.size, "blob_size": self.blob_size, "media_type": self.media_type}

    @classmethod
    def from_json(cls, d: dict) -> LayerRef:
        return cls(d["chain_id"], d["diff_id"], d["blob"], d["size"], d["blob_size"],
                   d.get("media_type", LAYER_TYPE))


def chain(parent: str | None, diff_id: str) -> str:
    return diff_id if not parent else str(D.compute(f"{parent} {diff_id}".encode()))


class Workdir:
    """A temporary directory of the build under <root>/tmp (same filesystem as layers/)."""

    def __init__(self, store: Store, prefix: str) -> None:
        import tempfile

        base = os.path.join(store.root, "tmp")
        os.makedirs(base, mode=0o700, exist_ok=True)
        self.path = tempfile.mkdtemp(prefix=f"build-{os.getpid()}-{prefix}-", dir=base)
        self.on_remove: list = []  # cleanups of what a step borrowed (mounts, locks)

    def sub(self, name: str, mode: int = 0o755) -> str:
        p = os.path.join(self.path, name)
        os.makedirs(p, mode=mode, exist_ok=True)
        return p

    def remove(self) -> None:
        for fn in reversed(self.on_remove):
            try:
                fn()
            except Exception:  # noqa: BLE001 - the rest must still be cleaned
                pass
        self.on_remove.clear()
        _unmount_under(self.path)
        import shutil

        shutil.rmtree(self.path, ignore_errors=True)


def sweep_stale(root: str) -> None:
    """Remove the temporary directories of builds whose teu is gone (kill -9)."""
    base = os.path.join(root, "tmp")
    try:
        names = os.listdir(base)
    except FileNotFoundError:
        return
    for name in names:
        parts = name.split("-")
        if len(parts) < 3 or parts[0] != "build" or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid != os.getpid() and not os.path.exists(f"/proc/{pid}"):
            import shutil

            shutil.rmtree(os.path.join(base, name), ignore_errors=True)


_private = threading.local()


def private_mounts() -> None:
    """Put this thread in a mount namespace of its own (once), where nothing propagates out
    and everything goes when the thread (or teu, even killed with -9) ends.

    Per thread, and only when a step mounts: unshare(CLONE_NEWNS) moves the calling thread
    alone, so each stage's thread makes, uses and removes its mounts in its own namespace
    (and the commands it runs inherit it); a fully cached build never mounts, and never
    imports ctypes (~4 ms) for the syscalls."""
    if getattr(_private, "done", False):
        return
    from teu.runtime import linux as L

    sys = L.syscalls()
    try:
        sys.unshare(L.CLONE_NEWNS)
        sys.mount(None, "/", None, L.MS_REC | L.MS_PRIVATE, None)
    except OSError as e:
        from teu.build.errors import BuildError

        raise BuildError(f"cannot make a private mount namespace: {e.strerror}") from None
    _private.done = True


def _unmount_under(path: str) -> None:
    from teu.runtime import linux as L

    prefix = path.rstrip("/") + "/"
    try:
        with open("/proc/thread-self/mountinfo") as f:  # this thread's mounts (see above)
            points = [line.split()[4] for line in f]
    except OSError:
        return
    for p in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        try:
            L.syscalls().umount2(p, L.MNT_DETACH)
        except OSError:
            pass


class Overlay:
    """The stage's layers (bottom first) with a fresh upper, mounted on rootfs."""

    def __init__(self, work: Workdir, layer_dirs: list[str]) -> None:
        from teu.engine.storage import rootfs as R

        self.work = work
        self.upper = work.sub("upper")
        self.rootfs = work.sub("rootfs")
        private_mounts()
        R.mount_overlay(layer_dirs, self.upper, work.sub("work"), self.rootfs,
                        work.sub("empty"), volatile=True)
        self.mounted = True

    def unmount(self) -> None:
        if self.mounted:
            from teu.runtime import linux as L

            L.syscalls().umount2(self.rootfs, L.MNT_DETACH)
            self.mounted = False


def clamp_mtimes(top: str, epoch: int) -> None:
    """Every entry's mtime after `epoch` becomes `epoch` (symlinks too)."""
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if st.st_mtime > epoch:
                os.utime(p, (epoch, epoch), follow_symlinks=False)
    st = os.lstat(top)
    if st.st_mtime > epoch:
        os.utime(top, (epoch, epoch))


def _strip_overlay_xattrs(top: str) -> None:
    """overlayfs bookkeeping (origin, impure...) must not follow the directory into the
    store, where it is a lower layer of other mounts; the opaque mark stays."""
    for dirpath, dirnames, _ in os.walk(top):
        for name in dirnames:
            p = os.path.join(dirpath, name)
            try:
                names = os.listxattr(p, follow_symlinks=False)
            except OSError:
                continue
            for x in names:
                if x.startswith("trusted.overlay.") and x != _KEEP_XATTR:
                    try:
                        os.removexattr(p, x, follow_symlinks=False)
                    except OSError:
                        pass


def commit(store: Store, upper: str, parent_chain: str | None, work: Workdir,
           epoch: int | None = None) -> LayerRef:
    """The directory as a layer in the store (the directory is moved away)."""
    import tempfile

    from teu.image.compression import compressor
    from teu.image.diff import diff_overlay

    if epoch is not None:
        clamp_mtimes(upper, epoch)
    os.chmod(upper, 0o755)
    tmpdir = work.sub("tar")
    with tempfile.TemporaryFile(dir=tmpdir) as tar, tempfile.TemporaryFile(dir=tmpdir) as gz:
        result = diff_overlay(upper, tar)
        tar.seek(0)
        w = compressor("gzip", gz)
        while block := tar.read(1 << 20):
            w.write(block)
        w.close()
        gz.seek(0)
        blob = store.blobs.put_stream(gz)
    diff_id = str(result.diff_id)
    chain_id = chain(parent_chain, diff_id)
    final = store.layers.path(chain_id)
    if not os.path.isdir(final):
        _strip_overlay_xattrs(upper)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        try:
            os.rename(upper, final)
        except OSError:
            if not os.path.isdir(final):
                raise
    return LayerRef(chain_id, diff_id, str(blob), result.size, store.blobs.size(blob) or 0)


def ensure_unpacked(store: Store, layers: list[LayerRef]) -> bool:
    """Make sure every layer's directory exists (unpack from its blob if needed);
    False if a blob is gone too (a cache entry that cannot be used)."""
    for ref in layers:
        if store.layers.exists(ref.chain_id):
            continue
        if not store.blobs.exists(ref.blob):
            return False
        store.layers.unpack(ref.chain_id, ref.diff_id,
                            lambda r=ref: store.blobs.open(r.blob, verify=False))
    return True


def is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
