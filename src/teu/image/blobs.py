"""Content-addressed blobs: blobs/sha256/<hex>, verified on write, verifiable on read.

umoci's rule: a blob only ever appears under its final name after its bytes
hashed to that name and were fsynced; writing one that exists is a no-op
(put_blob is idempotent). Downloads go through an Ingest: a partial file in
ingest/<hex>.partial, locked with flock while one process writes it, kept
across a crash so that the next attempt resumes from its length (with an
HTTP range request) instead of starting over.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO

from teu.fileio import fsync_dir, start_writeback
from teu.image.errors import BlobNotFound, ImageError
from teu.oci import digest as D
from teu.oci.errors import DigestMismatchError

CHUNK = 1 << 20
# Start writeback every this many bytes of a download, so that the fsync before
# the rename has little left to write (it would otherwise wait for all of it).
WRITEBACK_EVERY = 8 << 20


class BlobStore:
    def __init__(self, root: str, fsync: bool = True) -> None:
        self.root = root
        self.dir = os.path.join(root, "blobs", "sha256")
        self.ingest_dir = os.path.join(root, "ingest")
        self.fsync = fsync

    # -- reading -------------------------------------------------------------

    def path(self, digest: str) -> str:
        dg = D.parse(digest, registered_only=True)
        if dg.algorithm != D.SHA256:
            raise ImageError(f"blob {dg}: only sha256 blobs are stored")
        return os.path.join(self.dir, dg.encoded)

    def exists(self, digest: str) -> bool:
        return os.path.exists(self.path(digest))

    def size(self, digest: str) -> int | None:
        try:
            return os.stat(self.path(digest)).st_size
        except FileNotFoundError:
            return None

    def open(self, digest: str, verify: bool = True) -> IO[bytes]:
        """The blob's bytes; with verify, reading past the end checks the digest."""
        try:
            f = open(self.path(digest), "rb")  # noqa: SIM115 - returned to the caller
        except FileNotFoundError:
            raise BlobNotFound(f"blob {digest}: not in the store") from None
        if not verify:
            return f
        return D.VerifyingReader(f, digest, os.fstat(f.fileno()).st_size,  # type: ignore[return-value]
                                 what=f"blob {digest}")

    def read(self, digest: str, verify: bool = True) -> bytes:
        try:
            with open(self.path(digest), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise BlobNotFound(f"blob {digest}: not in the store") from None
        if verify and D.compute(data) != digest:
            raise DigestMismatchError(digest, D.compute(data), f"stored blob {digest}")
        return data

    def verify(self, digest: str) -> bool:
        try:
            with open(self.path(digest), "rb") as f:
                return D.from_file(f) == digest
        except FileNotFoundError:
            return False

    def list(self) -> Iterator[D.Digest]:
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return
        for name in names:
            if len(name) == 64:
                yield D.Digest("sha256:" + name)

    # -- writing -------------------------------------------------------------

    def put_bytes(self, data: bytes, expected: str | None = None) -> D.Digest:
        """Store `data`; raise DigestMismatchError if it does not hash to `expected`."""
        actual = D.compute(data)
        if expected is not None and actual != expected:
            raise DigestMismatchError(expected, actual, "blob")
        final = self.path(actual)
        if os.path.exists(final):
            return actual
        self._write_new(final, [data])
        return actual

    def put_stream(self, stream: IO[bytes], expected: str | None = None,
                   size: int | None = None, what: str = "blob") -> D.Digest:
        """Copy a stream into the store, hashing as it goes. With `expected`, a wrong
        digest (or size) raises and nothing is stored; without it the digest is learnt."""
        if expected is not None:
            with self.ingest(expected, size, resume=False, what=what) as ing:
                if not ing.done:
                    ing.copy_from(stream)
                    ing.commit()
            return D.Digest(expected)
        os.makedirs(self.ingest_dir, exist_ok=True)
        tmp = os.path.join(self.ingest_dir, f".put-{os.getpid()}-{id(stream):x}")
        h = D.Hasher()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            while block := stream.read(CHUNK):
                h.update(block)
                _write_all(fd, block)
            if self.fsync:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            _unlink(tmp)
            raise
        os.close(fd)
        actual = h.digest()
        final = self.path(actual)
        os.makedirs(self.dir, exist_ok=True)
        os.rename(tmp, final)
        if self.fsync:
            fsync_dir(self.dir)
        return actual

    def _write_new(self, final: str, parts: list[bytes]) -> None:
        os.makedirs(self.dir, exist_ok=True)
        tmp = f"{final}.tmp-{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            for part in parts:
                _write_all(fd, part)
            if self.fsync:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            _unlink(tmp)
            raise
        os.close(fd)
        os.rename(tmp, final)
        if self.fsync:
            fsync_dir(self.dir)

    def ingest(self, expected: str, size: int | None = None, resume: bool = True,
               what: str = "blob") -> Ingest:
        return Ingest(self, D.parse(expected, registered_only=True), size, resume, what)

    def delete(self, digest: str) -> bool:
        try:
            os.unlink(self.path(digest))
            return True
        except FileNotFoundError:
            return False

    def partials(self) -> list[str]:
        try:
            return [os.path.join(self.ingest_dir, n) for n in os.listdir(self.ingest_dir)]
        except FileNotFoundError:
            return []


class Ingest:
    """One blob being written: resumable, locked, verified on commit.

        with blobs.ingest(digest, size) as ing:
            if not ing.done:
                stream = fetch(from_offset=ing.offset)   # ing.reset() if the source restarts
                ing.copy_from(stream)
                ing.commit()

    A wrong digest or size at commit deletes the partial (resuming bad bytes
    would fail forever) and raises. Any other failure keeps it for a resume.
    """

    def __init__(self, store: BlobStore, expected: D.Digest, size: int | None, resume: bool,
                 what: str) -> None:
        self.store = store
        self.expected = expected
        self.size = size
        self.what = what
        self.final = store.path(expected)
        self.partial = os.path.join(store.ingest_dir, f"{expected.encoded}.partial")
        self.done = False
        self.fd = -1
        self.offset = 0
        self._hasher = D.Hasher(expected.algorithm)
        self._resume = resume
        self._flushed = 0
        # Called with the number of bytes written so far (progress display).
        self.on_progress: object = None

    def __enter__(self) -> Ingest:
        import fcntl

        if os.path.exists(self.final):
            self.done = True
            return self
        os.makedirs(self.store.ingest_dir, exist_ok=True)
        while True:
            fd = os.open(self.partial, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
            # Another process may have committed (renamed) this partial while we
            # waited for its lock: then our fd is the final blob. Never write to it.
            try:
                same = os.stat(self.partial).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
            if os.path.exists(self.final):
                self.done = True
                return self
        self.fd = fd
        have = os.fstat(fd).st_size
        if not self._resume or (self.size is not None and have > self.size):
            have = 0
        if have:
            # Hash what a previous attempt wrote; reading back from the page
            # cache is far cheaper than fetching it again.
            done = 0
            while done < have:
                block = os.pread(fd, min(CHUNK * 4, have - done), done)
                if not block:
                    break
                self._hasher.update(block)
                done += len(block)
            have = done
        os.ftruncate(fd, have)
        os.lseek(fd, have, os.SEEK_SET)
        self.offset = self._flushed = have
        return self

    def reset(self) -> None:
        """The source cannot resume: start from byte 0."""
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)
        self._hasher = D.Hasher(self.expected.algorithm)
        self.offset = self._flushed = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self.size is not None and self.offset + len(data) > self.size:
            self._discard()
            raise ImageError(f"{self.what} {self.expected}: more data than its size {self.size}")
        self._hasher.update(data)
        _write_all(self.fd, data)
        self.offset += len(data)
        if self.store.fsync and self.offset - self._flushed >= WRITEBACK_EVERY:
            start_writeback(self.fd, self._flushed, self.offset - self._flushed)
            self._flushed = self.offset

    def copy_from(self, stream: IO[bytes], progress: object = None) -> None:
        buf = bytearray(CHUNK)
        mv = memoryview(buf)
        readinto = getattr(stream, "readinto", None)
        while True:
            if readinto is not None:
                n = readinto(buf)
                if not n:
                    break
                self.write(mv[:n])
            else:
                block = stream.read(CHUNK)
                if not block:
                    break
                self.write(block)
            if progress is not None:
                progress(self.offset)  # type: ignore[operator]

    def commit(self) -> D.Digest:
        if self.done:
            return self.expected
        if self.size is not None and self.offset != self.size:
            raise ImageError(f"{self.what} {self.expected}: truncated: got {self.offset} of "
                             f"{self.size} bytes")
        actual = self._hasher.digest()
        if actual != self.expected:
            self._discard()
            raise DigestMismatchError(self.expected, actual, f"{self.what} {self.expected}")
        if self.store.fsync:
            os.fsync(self.fd)
        os.makedirs(self.store.dir, exist_ok=True)
        os.rename(self.partial, self.final)
        if self.store.fsync:
            fsync_dir(self.store.dir)
        self.done = True
        return actual

    def _discard(self) -> None:
        _unlink(self.partial)
        os.ftruncate(self.fd, 0)

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # releases the flock
            self.fd = -1


def _write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    mv = memoryview(data)
    while mv:
        n = os.write(fd, mv)
        mv = mv[n:]


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
