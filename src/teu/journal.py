"""The store's event journal: what happened to containers, images, networks and volumes,
one JSON line per event in docker's shape, appended by the operations themselves.

    <root>/events.log       the journal (O_APPEND: a line is one write, whole)
    <root>/events.log.1     the one before, once the journal passed LIMIT bytes

teu has no daemon to see events: whoever does a thing (`teu`, conmon's exit command,
`teu system service`, teu.api) appends its event, so `teu events`, the Engine API's
/events and compose's events read one history (`--since` replays it) and wake when a
line is added (inotify on the file, see Follower). An event is
    {"Type", "Action", "Actor": {"ID", "Attributes"}, "scope": "local", "time", "timeNano"}
as dockerd's /events gives it (teu.dockerapi adds the old status/id/from fields).

Below every layer that writes it (image, network, engine): it imports nothing of teu's
but fastjson, so `teu run` pays one open and one write per event.
"""

from __future__ import annotations

import os
import time

from teu import fastjson

NAME = "events.log"
LIMIT = 4 << 20  # bytes; then the journal becomes events.log.1 and a new one starts


def path_of(root: str) -> str:
    return os.path.join(root, NAME)


def append(root: str, type_: str, action: str, actor: str,
           attributes: dict | None = None) -> None:
    """Record one event now. Never fails the operation that reports it: a journal that
    cannot be written (read-only root, disk full) loses the event, not the work."""
    now = time.time_ns()
    line = fastjson.dumps({"Type": type_, "Action": action, "Actor": {
        "ID": actor, "Attributes": attributes or {}}, "scope": "local",
        "time": now // 1_000_000_000, "timeNano": now}) + "\n"
    path = path_of(root)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return
    try:
        os.write(fd, line.encode())
        st = os.fstat(fd)
        if st.st_size > LIMIT:
            _rotate(path, st.st_ino)
    except OSError:
        pass
    finally:
        os.close(fd)


def _rotate(path: str, ino: int) -> None:
    """events.log -> events.log.1, if the path still names the file just written (a
    second writer past LIMIT at the same moment must not rotate the fresh one away)."""
    try:
        if os.stat(path).st_ino == ino:
            os.replace(path, path + ".1")
    except OSError:
        pass


def parse(data: bytes) -> list[dict]:
    out = []
    for line in data.split(b"\n"):
        if line:
            try:
                out.append(fastjson.loads(line.decode()))
            except ValueError:
                continue  # a line cut by a crash mid-write: skip it
    return out


def _in_range(events: list[dict], since_ns: int, until_ns: int | None) -> list[dict]:
    return [e for e in events if e.get("timeNano", 0) >= since_ns
            and (until_ns is None or e["timeNano"] <= until_ns)]


def history(root: str, since_ns: int = 0, until_ns: int | None = None) -> list[dict]:
    """The events recorded with since_ns <= timeNano (<= until_ns), oldest first."""
    out = []
    path = path_of(root)
    for name in (path + ".1", path):
        try:
            with open(name, "rb") as f:
                out.extend(_in_range(parse(f.read()), since_ns, until_ns))
        except OSError:
            continue
    return out


class Follower:
    """New events as they are appended, from the journal's end at creation on. fileno()
    becomes readable when there may be new lines (inotify; -1 where inotify is
    unavailable: then poll read() every fraction of a second). read() returns the new
    whole events; it follows a rotation to the new file."""

    def __init__(self, root: str) -> None:
        self.path = path_of(root)
        self._inotify = _Inotify()
        self._fd = -1
        self._ino = -1
        self._partial = b""
        self._open(at_end=True)
        self._start = os.lseek(self._fd, 0, os.SEEK_CUR)

    def _open(self, at_end: bool) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self._fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._ino = os.fstat(self._fd).st_ino
        if at_end:
            os.lseek(self._fd, 0, os.SEEK_END)
        self._partial = b""
        self._inotify.watch(self.path)

    def history(self, since_ns: int = 0, until_ns: int | None = None) -> list[dict]:
        """What was recorded before this follower began (within the range): with read()
        after it, each event exactly once."""
        out = []
        try:
            with open(self.path + ".1", "rb") as f:
                if os.fstat(f.fileno()).st_ino != self._ino:
                    out = _in_range(parse(f.read()), since_ns, until_ns)
        except OSError:
            pass
        data = os.pread(self._fd, self._start, 0) if self._start else b""
        return out + _in_range(parse(data.rpartition(b"\n")[0]), since_ns, until_ns)

    def fileno(self) -> int:
        return self._inotify.fd

    def read(self) -> list[dict]:
        self._inotify.drain()
        out = self._read_rest()
        try:
            moved = os.stat(self.path).st_ino != self._ino
        except FileNotFoundError:
            moved = True
        if moved:  # rotated: the rest of the old file is read, now the new one whole
            self._open(at_end=False)
            out += self._read_rest()
        return out

    def _read_rest(self) -> list[dict]:
        chunks = [self._partial]
        while True:
            data = os.read(self._fd, 1 << 16)
            if not data:
                break
            chunks.append(data)
        data = b"".join(chunks)
        whole, _, self._partial = data.rpartition(b"\n")
        return parse(whole)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._inotify.close()


class _Inotify:
    """inotify(7) through libc: a readable fd when the watched file changes."""

    _MASK = 0x2 | 0x800 | 0x400 | 0x4  # IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB

    def __init__(self) -> None:
        import ctypes

        self._libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        self._wd = -1

    def watch(self, path: str) -> None:
        if self.fd < 0:
            return
        if self._wd >= 0:
            self._libc.inotify_rm_watch(self.fd, self._wd)
        self._wd = self._libc.inotify_add_watch(self.fd, path.encode(), self._MASK)

    def drain(self) -> None:
        if self.fd < 0:
            return
        try:
            while os.read(self.fd, 4096):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
