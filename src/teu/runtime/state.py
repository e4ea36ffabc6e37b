"""Where a container's runtime state lives, and how its status is told.

Layout, one directory per container under the state root (--root, default
/run/teu-runtime):

    <root>/<id>/state.json   what `state` prints, plus the init's start time and
                             the cgroup path (written before the init exists, so a
                             crash mid-create leaves enough for `delete --force`).
                             One JSON object a line, each the whole state; the
                             last whole line counts. Appending costs ~0.05 ms where
                             a rename over the old file costs ~1 ms on ext4 (it
                             forces the new data out), and create saves 3 times.
                             A line torn by a crash is skipped.
    <root>/<id>/exec.fifo    present from create until start; the init blocks
                             reading it, `start` writes one byte
    <root>/<id>/lock         the container's lock (ContainerState.lock): create holds
                             it from its claim to its end, delete while it removes

Status is derived, never stored: a live init (same pid and start time as
recorded, not a zombie) with exec.fifo is `created`; with a frozen cgroup it is
`paused`; otherwise `running`; a dead init is `stopped`.
"""

from __future__ import annotations

import os
import time

from teu import fastjson
from teu.errors import TeuError

DEFAULT_ROOT = "/run/teu-runtime"
OCI_VERSION = "1.2.0"
_ID_EXTRA = set("_+.-")


class StateError(TeuError):
    """A container id is bad, unknown, taken, or in the wrong state for the verb."""


def check_id(container_id: str) -> None:
    if not container_id:
        raise StateError("container id must not be empty")
    # A leading "." is refused: the state root keeps its own things (.cache) there.
    if not all(c.isalnum() or c in _ID_EXTRA for c in container_id) \
            or not container_id.isascii() or container_id.startswith("."):
        raise StateError(f"invalid container id {container_id!r}: "
                         "use letters, digits, '_', '+', '-' and '.'")


def process_start_time(pid: int) -> int | None:
    """The start time (clock ticks since boot) of pid, or None if it is gone or a zombie.
    One read(2) of the whole file (a few hundred bytes): a buffered open() costs ~3x
    that, and every reader (`teu ps`) asks this of each running container."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        stat = os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)
    fields = stat[stat.rfind(b")") + 2:].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])


def rfc3339_now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e9):09d}Z"


class ContainerState:
    """One container's directory and saved state."""

    def __init__(self, root: str, container_id: str) -> None:
        check_id(container_id)
        self.id = container_id
        self.dir = os.path.join(root, container_id)
        self.data: dict = {}
        # What the process that created the container already holds, so `run` need
        # not read them back: the config and the cgroup manager.
        self.config: dict | None = None
        self.cgroup = None
        self._lock_fd = -1

    @property
    def state_file(self) -> str:
        return os.path.join(self.dir, "state.json")

    @property
    def fifo(self) -> str:
        return os.path.join(self.dir, "exec.fifo")

    def exists(self) -> bool:
        return os.path.isdir(self.dir)

    @property
    def lock_file(self) -> str:
        return os.path.join(self.dir, "lock")

    def claim(self) -> None:
        """Make the directory and take its lock; fails if the id is taken (mkdir is the
        atomic test). The lock is held until unlock(): create's whole run."""
        os.makedirs(os.path.dirname(self.dir), mode=0o711, exist_ok=True)
        try:
            os.mkdir(self.dir, 0o711)
        except FileExistsError:
            raise StateError(f"container with id {self.id!r} already exists") from None
        if not self.lock(claimed=True):
            raise StateError(f"container {self.id!r} was deleted while it was being created")

    def lock(self, claimed: bool = False) -> bool:
        """Take the container's lock, waiting while another process holds it. False if
        the container is gone (or went while we waited): there is nothing to act on.

        create holds it from its claim to its end and delete while it removes, so each
        sees the other's work whole or not at all (a `delete --force` racing conmon's
        create used to leave a state directory or a cgroup). A POSIX record lock
        (os.lockf) rather than flock: it needs no fcntl module on the start path (~0.6
        ms), forked children (stage 1, the init) never inherit it, and the kernel drops
        it when its holder dies. Locks of one process do not exclude each other: this
        orders processes (the engine's and conmon's), not threads. The lock file is made
        right after the directory: one that has none yet (create is between the two, or
        an older teu-runtime made it) is waited for briefly, then acted on unlocked.
        """
        flags = os.O_RDWR | os.O_CLOEXEC | (os.O_CREAT | os.O_EXCL if claimed else 0)
        fd = -1
        for _ in range(20):
            try:
                fd = os.open(self.lock_file, flags, 0o600)
                break
            except FileNotFoundError:
                if claimed or not self.exists():
                    return False
                time.sleep(0.005)
        if fd < 0:
            return True
        try:
            os.lockf(fd, os.F_LOCK, 0)
            if os.fstat(fd).st_nlink == 0:  # removed by the holder we waited for
                os.close(fd)
                return False
        except BaseException:
            os.close(fd)
            raise
        self._lock_fd = fd
        return True

    def unlock(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # closing it releases the lock
            self._lock_fd = -1

    def remove(self) -> None:
        """Delete the directory (flat: state.json, config.json, exec.fifo; no shutil)."""
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return
        for name in names:
            try:
                os.unlink(os.path.join(self.dir, name))
            except FileNotFoundError:
                pass
        try:
            os.rmdir(self.dir)
        except FileNotFoundError:
            pass

    def save(self) -> None:
        """Append the whole state as one line (a single write: never interleaved)."""
        fd = os.open(self.state_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
                     0o600)
        try:
            os.write(fd, fastjson.dumps(self.data).encode() + b"\n")
        finally:
            os.close(fd)

    def load(self) -> ContainerState:
        try:
            with open(self.state_file, "rb") as f:
                lines = f.read().split(b"\n")
        except FileNotFoundError:
            if not self.exists():
                raise StateError(f"container {self.id!r} does not exist") from None
            lines = []
        self.data = {}
        for line in reversed(lines):
            if line.strip():
                try:
                    self.data = fastjson.loads(line)
                    break
                except ValueError:
                    continue  # torn by a crash mid-write: the line before is whole
        return self

    @property
    def pid(self) -> int:
        return int(self.data.get("pid") or 0)

    def alive(self) -> bool:
        pid = self.pid
        return pid > 0 and process_start_time(pid) == self.data.get("init_start")

    def status(self, frozen: bool = False) -> str:
        """created, running, paused or stopped; `creating` if create never finished."""
        if not self.data.get("ready"):
            return "creating"
        if not self.alive():
            return "stopped"
        if os.path.exists(self.fifo):
            return "created"
        return "paused" if frozen else "running"

    def spec_state(self, status: str) -> dict:
        """The state the spec defines (what `state` prints and hooks read on stdin)."""
        d = self.data
        state = {
            "ociVersion": OCI_VERSION,
            "id": self.id,
            "status": status,
            "pid": d.get("pid", 0) if status != "stopped" else 0,
            "bundle": d.get("bundle", ""),
            "rootfs": d.get("rootfs", ""),
            "created": d.get("created", ""),
            "owner": "",
        }
        if d.get("annotations"):
            state["annotations"] = d["annotations"]
        return state


def list_ids(root: str) -> list[str]:
    try:
        return sorted(e for e in os.listdir(root)
                      if not e.startswith(".") and os.path.isdir(os.path.join(root, e)))
    except FileNotFoundError:
        return []
