"""Layer compression: gzip, zstd or none, told apart by magic bytes.

The media type says what a layer should be, but docker and containerd go by
the bytes (a `tar+gzip` that is really plain tar is common in the wild), so
teu does too. Readers here decompress as they are read; `HashingReader`
hashes what passes through it, which is how a layer's diff ID is checked
while it is being unpacked, without a second pass.
"""

from __future__ import annotations

from typing import IO

from teu.image.errors import LayerError
from teu.oci import digest as D

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK = 1 << 20


def detect(head: bytes) -> str | None:
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return None


class _Peek:
    """A reader that gives back the bytes it peeked at before the rest of the stream."""

    def __init__(self, raw: IO[bytes], head: bytes) -> None:
        self._raw = raw
        self._head = head

    def read(self, n: int = -1) -> bytes:
        if self._head:
            if n is None or n < 0:
                data, self._head = self._head + self._raw.read(), b""
                return data
            data, self._head = self._head[:n], self._head[n:]
            if len(data) < n:
                data += self._raw.read(n - len(data))
            return data
        return self._raw.read(n)

    def close(self) -> None:
        self._raw.close()


class GzipReader:
    """gzip decompression with zlib directly: faster than the gzip module, and it
    accepts concatenated members (pigz, some registries' layers). Output is kept
    as one chunk and an offset, so tarfile's many small reads cost no copying."""

    def __init__(self, raw: IO[bytes]) -> None:
        import zlib

        self._zlib = zlib
        self._raw = raw
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._eof = False
        self._pending = b""
        self._pos = 0
        self._between = False  # a member just ended and the next has not begun

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = []
            while block := self.read(CHUNK):
                parts.append(block)
            return b"".join(parts)
        while self._pos >= len(self._pending):
            if self._eof:
                return b""
            self._fill()
        end = self._pos + n
        data = self._pending[self._pos:end]
        self._pos = min(end, len(self._pending))
        return data

    def _fill(self) -> None:
        if self._d.unconsumed_tail:
            data = self._d.unconsumed_tail
        else:
            data = self._raw.read(CHUNK)
            if not data:
                if not self._between:
                    raise LayerError("gzip stream is truncated")
                self._eof = True
                self._pending, self._pos = b"", 0
                return
        out = []
        while data:
            if self._between:
                if not data.strip(b"\0"):
                    # Only padding after the last member: the stream ends here.
                    while self._raw.read(CHUNK):
                        pass
                    self._eof = True
                    break
                self._between = False
            try:
                out.append(self._d.decompress(data, CHUNK * 4))
            except self._zlib.error as e:
                raise LayerError(f"gzip stream is corrupt: {e}") from None
            if not self._d.eof:
                break
            # A member ended; another may follow (pigz, concatenated gzip).
            data = self._d.unused_data
            self._d = self._zlib.decompressobj(16 + self._zlib.MAX_WBITS)
            self._between = True
        self._pending, self._pos = b"".join(out), 0

    def close(self) -> None:
        self._raw.close()


class ZstdReader:
    def __init__(self, raw: IO[bytes]) -> None:
        try:
            import zstandard
        except ImportError:  # pragma: no cover - a declared dependency
            raise LayerError("zstd layer: the zstandard module is not installed") from None
        self._z = zstandard
        self._reader = zstandard.ZstdDecompressor().stream_reader(
            raw, read_size=CHUNK, read_across_frames=True, closefd=True)

    def read(self, n: int = -1) -> bytes:
        try:
            return self._reader.read(n if n is not None and n >= 0 else -1)
        except self._z.ZstdError as e:
            raise LayerError(f"zstd stream is corrupt: {e}") from None

    def close(self) -> None:
        self._reader.close()


def decompressed(raw: IO[bytes]) -> IO[bytes]:
    """A reader of `raw`'s uncompressed bytes, whatever its compression."""
    head = raw.read(4)
    kind = detect(head)
    peek = _Peek(raw, head)
    if kind == "gzip":
        return GzipReader(peek)  # type: ignore[arg-type, return-value]
    if kind == "zstd":
        return ZstdReader(peek)  # type: ignore[arg-type, return-value]
    return peek  # type: ignore[return-value]


class HashingReader:
    """Passes reads through and hashes them; `drain()` reads to the end."""

    def __init__(self, raw: IO[bytes], algorithm: str = D.SHA256) -> None:
        self._raw = raw
        self.hasher = D.Hasher(algorithm)

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        if data:
            self.hasher.update(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    @property
    def size(self) -> int:
        return self.hasher.size

    def digest(self) -> D.Digest:
        return self.hasher.digest()

    def close(self) -> None:
        self._raw.close()


def compressor(kind: str | None, out: IO[bytes], level: int | None = None) -> IO[bytes]:
    """A writer that compresses into `out` ('gzip', 'zstd' or None); close() finishes it
    but leaves `out` open."""
    if kind == "gzip":
        return _GzipWriter(out, 6 if level is None else level)  # type: ignore[return-value]
    if kind == "zstd":
        import zstandard

        return zstandard.ZstdCompressor(level=3 if level is None else level).stream_writer(
            out, closefd=False)  # type: ignore[return-value]
    if kind is None:
        return _Plain(out)  # type: ignore[return-value]
    raise LayerError(f"unknown compression {kind!r}")


class _Plain:
    def __init__(self, out: IO[bytes]) -> None:
        self._out = out

    def write(self, data: bytes) -> int:
        return self._out.write(data)

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        pass


class _GzipWriter:
    """gzip with mtime 0 and no file name, so the same input gives the same blob."""

    def __init__(self, out: IO[bytes], level: int) -> None:
        import zlib

        self._out = out
        self._c = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)

    def write(self, data: bytes) -> int:
        self._out.write(self._c.compress(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._out.write(self._c.flush())
