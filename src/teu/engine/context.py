"""The engine's handle: where things are, the database (opened on first use), locks."""

from __future__ import annotations

import os

from teu.engine.db import DB, Row
from teu.engine.errors import NotFound
from teu.engine.paths import Paths


class Engine:
    def __init__(self, root: str | None = None, runroot: str | None = None) -> None:
        self.paths = Paths(root, runroot)
        self._db: DB | None = None

    @property
    def db(self) -> DB:
        if self._db is None:
            self._db = DB(self.paths.db)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def lock(self, cid: str) -> Lock:
        return Lock(self.paths.lock(cid))

    def find(self, ref: str) -> Row:
        """A container by full ID, name, or unique ID prefix (docker's order)."""
        db = self.db
        row = db.get(ref) if len(ref) == 64 else None
        if row is None:
            row = db.by_name(ref[1:] if ref.startswith("/") else ref)
        if row is None and ref and all(c in "0123456789abcdef" for c in ref):
            rows = db.with_prefix(ref)
            if len(rows) > 1:
                raise NotFound(f"multiple containers found with provided prefix: {ref}")
            row = rows[0] if rows else None
        if row is None:
            raise NotFound(f"No such container: {ref}")
        return row

    def reload(self, row: Row) -> Row | None:
        return self.db.get(row["id"])


class Lock:
    """An flock on <runroot>/locks/<id>: one teu at a time changes a container's state.

    Re-entrant within one thread of one process: the engine's steps that take it
    (state.finish and state.recover, which S.refresh reaches) are also called by
    steps already holding it (lifecycle's begin_start refreshes the row under it).
    A second flock on a fresh fd of the same file would wait for the first one, held
    by the same thread: forever. Another thread or process still waits its turn."""

    _held: dict[tuple[str, int, int], list[int]] = {}  # (path, pid, thread): [fd, depth]

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = -1

    def _key(self) -> tuple[str, int, int]:
        import _thread

        return self.path, os.getpid(), _thread.get_ident()

    def __enter__(self) -> Lock:
        import fcntl

        key = self._key()
        held = Lock._held.get(key)
        if held is not None:
            held[1] += 1
            self.fd = held[0]
            return self
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(self.fd)
            raise
        Lock._held[key] = [self.fd, 1]
        return self

    def __exit__(self, *_: object) -> None:
        key = self._key()
        held = Lock._held[key]
        held[1] -= 1
        if held[1] == 0:
            del Lock._held[key]
            os.close(self.fd)
        self.fd = -1

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
