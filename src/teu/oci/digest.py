"""Digests (`algorithm:encoded`), per the image spec's grammar.

    digest                ::= algorithm ":" encoded
    algorithm             ::= algorithm-component (algorithm-separator algorithm-component)*
    algorithm-component   ::= [a-z0-9]+
    algorithm-separator   ::= [+._-]
    encoded               ::= [a-zA-Z0-9=_-]+

A digest whose algorithm is registered (sha256, sha512) must also have the
registered encoding (lowercase hex of the right length). Unregistered
algorithms pass `parse` (the grammar allows them) but cannot be computed or
verified: `parse(..., registered_only=True)` refuses them.
"""

from __future__ import annotations

import re

from teu.oci.errors import DigestMismatchError, ImageSpecError

TYPE_CHECKING = False  # typing's import is not paid at run time
if TYPE_CHECKING:
    from typing import IO

SHA256 = "sha256"
SHA512 = "sha512"
CANONICAL = SHA256

_GRAMMAR = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
# Registered algorithms and their encoded-part grammar.
_REGISTERED = {
    SHA256: re.compile(r"[a-f0-9]{64}"),
    SHA512: re.compile(r"[a-f0-9]{128}"),
}


class Digest(str):
    """A validated digest string; `.algorithm` and `.encoded` split it."""

    __slots__ = ()

    @property
    def algorithm(self) -> str:
        return self.partition(":")[0]

    @property
    def encoded(self) -> str:
        return self.partition(":")[2]

    # go-digest calls it Hex(); keep the familiar name too.
    hex = encoded

    def hasher(self) -> Hasher:
        return Hasher(self.algorithm)

    def verifier(self) -> Verifier:
        return Verifier(self)


def parse(value: object, field: str = "digest", registered_only: bool = False) -> Digest:
    """Validate `value` against the grammar; raise ImageSpecError naming `field`."""
    if isinstance(value, Digest):
        if registered_only and value.algorithm not in _REGISTERED:
            raise ImageSpecError(f"{field}: unsupported digest algorithm {value.algorithm!r}")
        return value
    if not isinstance(value, str):
        raise ImageSpecError(f"{field}: must be a string, got {type(value).__name__}")
    if not _GRAMMAR.fullmatch(value):
        raise ImageSpecError(f"{field}: invalid digest {value[:150]!r}")
    algorithm, _, encoded = value.partition(":")
    pattern = _REGISTERED.get(algorithm)
    if pattern is None:
        if registered_only:
            raise ImageSpecError(f"{field}: unsupported digest algorithm {algorithm!r}")
    elif not pattern.fullmatch(encoded):
        raise ImageSpecError(f"{field}: invalid {algorithm} digest {value[:150]!r}")
    return Digest(value)


def is_valid(value: object, registered_only: bool = False) -> bool:
    try:
        parse(value, registered_only=registered_only)
    except ImageSpecError:
        return False
    return True


def is_supported(algorithm: str) -> bool:
    return algorithm in _REGISTERED


def compute(data: bytes | bytearray | memoryview, algorithm: str = CANONICAL) -> Digest:
    if algorithm == SHA256:
        h = sha256(len(data))
        h.update(data)
        return Digest(f"{SHA256}:{h.hexdigest()}")
    h = Hasher(algorithm)
    h.update(data)
    return h.digest()


# Bytes this process may still hash with CPython's built-in sha256 before OpenSSL's
# (hashlib) pays off: importing hashlib initialises OpenSSL, ~3 ms here, about what the
# built-in needs for a megabyte; per byte OpenSSL is several times faster.
_builtin_budget = [1 << 20]


def sha256(size: int = 0):  # noqa: ANN201 - a hashlib-style sha256 object
    """A sha256 object for about `size` bytes: the built-in one while this process has
    hashed little (a cached `teu build` hashes keys and small files only), else
    hashlib's. Both give the same digests."""
    if size <= _builtin_budget[0]:
        try:
            from _sha256 import sha256 as builtin  # CPython 3.11
        except ImportError:
            try:
                from _sha2 import sha256 as builtin  # CPython 3.12+
            except ImportError:
                builtin = None
        if builtin is not None:
            _builtin_budget[0] -= size
            return builtin()
    import hashlib

    return hashlib.sha256()


def from_file(fileobj: IO[bytes], algorithm: str = CANONICAL, chunk: int = 1 << 20) -> Digest:
    """Digest of what remains in a binary file object, read in chunks."""
    h = Hasher(algorithm)
    while block := fileobj.read(chunk):
        h.update(block)
    return h.digest()


class Hasher:
    """Incremental digest computation: update() with bytes, digest() at the end."""

    __slots__ = ("algorithm", "_h", "size")

    def __init__(self, algorithm: str = CANONICAL) -> None:
        if algorithm not in _REGISTERED:
            raise ImageSpecError(f"digest: unsupported algorithm {algorithm!r}")
        import hashlib  # a stream of unknown length: OpenSSL's, the fastest per byte

        self.algorithm = algorithm
        self._h = hashlib.new(algorithm)
        self.size = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._h.update(data)
        self.size += len(data)

    def digest(self) -> Digest:
        return Digest(f"{self.algorithm}:{self._h.hexdigest()}")

    def copy(self) -> Hasher:
        other = Hasher.__new__(Hasher)
        other.algorithm, other._h, other.size = self.algorithm, self._h.copy(), self.size
        return other


class Verifier:
    """Hashes what it is fed and says whether it matched the expected digest."""

    __slots__ = ("expected", "_hasher")

    def __init__(self, expected: str) -> None:
        self.expected = parse(expected, registered_only=True)
        self._hasher = Hasher(self.expected.algorithm)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._hasher.update(data)

    @property
    def size(self) -> int:
        return self._hasher.size

    def actual(self) -> Digest:
        return self._hasher.digest()

    def verified(self) -> bool:
        return self._hasher.digest() == self.expected

    def check(self, what: str = "content") -> None:
        actual = self._hasher.digest()
        if actual != self.expected:
            raise DigestMismatchError(self.expected, actual, what)


class VerifyingReader:
    """A binary reader that verifies digest (and size, if known) as it is read.

    The check runs at EOF and again on close(): closing before EOF drains the
    rest of the stream first, so a caller that stops early still learns the
    content was wrong (umoci's VerifiedReadCloser does the same). On mismatch
    DigestMismatchError is raised from read() or close().
    """

    def __init__(self, raw: IO[bytes], expected: str, size: int | None = None,
                 what: str = "blob") -> None:
        self._raw = raw
        self._verifier = Verifier(expected)
        self._size = size
        self._what = what
        self._done = False
        self.closed = False

    def read(self, n: int = -1) -> bytes:
        if self._done:
            return b""
        data = self._raw.read(n) if n is not None and n >= 0 else self._raw.read()
        if data:
            self._verifier.update(data)
            if self._size is not None and self._verifier.size > self._size:
                self._done = True
                raise ImageSpecError(f"{self._what}: longer than its size {self._size}")
        if not data or (n is None or n < 0):
            self._finish()
        return data

    def readinto(self, buf: bytearray | memoryview) -> int:
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        if self._size is not None and self._verifier.size != self._size:
            raise ImageSpecError(
                f"{self._what}: size mismatch: expected {self._size}, got {self._verifier.size}")
        self._verifier.check(self._what)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            while not self._done and self.read(1 << 20):
                pass
            self._finish()
        finally:
            self._raw.close()

    def __enter__(self) -> VerifyingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            # An error already propagates: do not mask it with a drain.
            self.closed = True
            self._raw.close()

    def readable(self) -> bool:
        return True
