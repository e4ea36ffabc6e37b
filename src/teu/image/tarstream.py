"""A small, fast reader of tar streams, for unpacking layers.

tarfile's stream mode reads its source 10 KiB at a time and copies every
byte of file content four or five times on its way out; a layer pull spends
more time there than in gunzip and sha256 together. This reader keeps one
1 MiB chunk of the source and hands out file content as memoryviews of it,
so the bytes go from the decompressor to os.write once.

Formats: ustar and GNU headers (octal or base-256 numbers), PAX extended
headers (`x`: path, linkpath, size, uid, gid, mtime, SCHILY.xattr.*; `g` is
ignored), GNU long names and link names (`L`, `K`). Sparse files and other
exotic types are refused with LayerError, as is a bad header checksum.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from teu.image.errors import LayerError

BLOCK = 512
CHUNK = 1 << 20

REG, AREG, LNK, SYM, CHR, BLK, DIR, FIFO, CONT = b"0", b"\0", b"1", b"2", b"3", b"4", b"5", \
    b"6", b"7"


class Entry:
    """One member; attribute names follow tarfile.TarInfo where they overlap."""

    __slots__ = ("name", "type", "mode", "uid", "gid", "size", "mtime", "linkname",
                 "devmajor", "devminor", "pax_headers")

    def isreg(self) -> bool:
        return self.type in (REG, AREG, CONT)

    def isdir(self) -> bool:
        return self.type == DIR

    def issym(self) -> bool:
        return self.type == SYM

    def islnk(self) -> bool:
        return self.type == LNK

    def ischr(self) -> bool:
        return self.type == CHR

    def isblk(self) -> bool:
        return self.type == BLK

    def isfifo(self) -> bool:
        return self.type == FIFO


def _num(field: bytes, what: str) -> int:
    if field and field[0] & 0x80:
        # GNU base-256: big-endian two's complement after the marker bit.
        n = int.from_bytes(field, "big") & ~(0x80 << (8 * (len(field) - 1)))
        if field[0] & 0x40:
            n -= 1 << (8 * len(field) - 1)
        return n
    s = field.split(b"\0", 1)[0].strip(b" ")
    if not s:
        return 0
    try:
        return int(s, 8)
    except ValueError:
        raise LayerError(f"bad tar header: {what} {field!r}") from None


def _str(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


class TarStream:
    def __init__(self, source: IO[bytes]) -> None:
        self._src = source
        self._buf = b""
        self._pos = 0
        self._left = 0      # content bytes of the current entry not yet read
        self._pad = 0       # padding after it
        self.eof = False

    # -- the source, in chunks --------------------------------------------------

    def _fill(self) -> bool:
        data = self._src.read(CHUNK)
        if not data:
            return False
        if self._pos < len(self._buf):
            self._buf = self._buf[self._pos:] + data
        else:
            self._buf = data
        self._pos = 0
        return True

    def _take(self, n: int) -> bytes:
        while len(self._buf) - self._pos < n:
            if not self._fill():
                raise LayerError("bad layer archive: unexpected end of data")
        data = self._buf[self._pos:self._pos + n]
        self._pos += n
        return data

    def _skip(self, n: int) -> None:
        while n:
            avail = len(self._buf) - self._pos
            if not avail:
                if not self._fill():
                    raise LayerError("bad layer archive: unexpected end of data")
                continue
            k = min(avail, n)
            self._pos += k
            n -= k

    # -- content ------------------------------------------------------------------

    def chunks(self) -> Iterator[memoryview]:
        """The current entry's content, as views of the internal chunk (use each at once)."""
        while self._left:
            avail = len(self._buf) - self._pos
            if not avail:
                if not self._fill():
                    raise LayerError("bad layer archive: unexpected end of data")
                continue
            k = min(avail, self._left)
            view = memoryview(self._buf)[self._pos:self._pos + k]
            self._pos += k
            self._left -= k
            yield view

    def _read_content(self, size: int) -> bytes:
        data = self._take(size)
        self._skip(-size % BLOCK)
        return data

    # -- headers ---------------------------------------------------------------------

    def __iter__(self) -> Iterator[Entry]:
        pax: dict[str, str] = {}
        long_name: str | None = None
        long_link: str | None = None
        while True:
            if self._left:
                self._skip(self._left)
                self._left = 0
            if self._pad:
                self._skip(self._pad)
                self._pad = 0
            try:
                hdr = self._take(BLOCK)
            except LayerError:
                if self._pos >= len(self._buf) and not pax and long_name is None:
                    # A stream that just stops at a header boundary: tolerated, as
                    # tar and containerd do.
                    self.eof = True
                    return
                raise
            if hdr.count(0) == BLOCK:
                self.eof = True
                return
            self._check(hdr)
            kind = hdr[156:157]
            size = _num(hdr[124:136], "size")
            if "size" in pax:
                size = int(pax["size"])
            if kind in (b"x", b"g"):
                records = self._read_content(size)
                if kind == b"x":
                    pax.update(_pax(records))
                continue
            if kind in (b"L", b"K"):
                value = self._read_content(size).split(b"\0", 1)[0].decode(
                    "utf-8", "surrogateescape")
                if kind == b"L":
                    long_name = value
                else:
                    long_link = value
                continue
            e = Entry()
            magic = hdr[257:263]
            name = _str(hdr[0:100])
            if magic == b"ustar\0":
                prefix = _str(hdr[345:500])
                if prefix:
                    name = f"{prefix}/{name}"
            e.name = pax.get("path") or long_name or name
            e.linkname = pax.get("linkpath") or long_link or _str(hdr[157:257])
            e.type = kind
            e.mode = _num(hdr[100:108], "mode")
            e.uid = int(pax["uid"]) if "uid" in pax else _num(hdr[108:116], "uid")
            e.gid = int(pax["gid"]) if "gid" in pax else _num(hdr[116:124], "gid")
            e.mtime = float(pax["mtime"]) if "mtime" in pax else _num(hdr[136:148], "mtime")
            e.devmajor = _num(hdr[329:337], "devmajor")
            e.devminor = _num(hdr[337:345], "devminor")
            e.pax_headers = pax
            if kind == b"S" or any(k.startswith("GNU.sparse") for k in pax):
                raise LayerError(f"tar entry {e.name!r}: sparse files are not supported")
            if kind not in (REG, AREG, CONT, LNK, SYM, CHR, BLK, DIR, FIFO):
                raise LayerError(f"tar entry {e.name!r}: unsupported type {kind!r}")
            has_data = kind in (REG, AREG, CONT)
            e.size = size if has_data else 0
            self._left = size if has_data else 0
            self._pad = (-size % BLOCK) if has_data else 0
            if not has_data and size:
                # Some writers give links a size; their data blocks are skipped.
                self._pad = size + (-size % BLOCK)
            pax = {}
            long_name = long_link = None
            yield e

    @staticmethod
    def _check(hdr: bytes) -> None:
        want = _num(hdr[148:156], "checksum")
        got = sum(hdr) - sum(hdr[148:156]) + 8 * 32
        if want != got:
            # Some old tars summed signed bytes.
            signed = got - 2 * sum(1 for b in hdr if b > 127) * 128
            if want != signed:
                raise LayerError("bad layer archive: header checksum mismatch")

    def drain(self) -> None:
        """Read the rest of the source (end-of-archive padding counts for the diff ID)."""
        self._pos = len(self._buf)
        while self._src.read(CHUNK):
            pass


def _pax(records: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    n = len(records)
    while pos < n:
        sp = records.find(b" ", pos)
        if sp < 0:
            break
        try:
            length = int(records[pos:sp])
        except ValueError:
            raise LayerError("bad PAX header record") from None
        if length <= 0 or pos + length > n:
            raise LayerError("bad PAX header record length")
        rec = records[sp + 1:pos + length - 1]  # drop the trailing newline
        key, _, value = rec.partition(b"=")
        k = key.decode("utf-8", "surrogateescape")
        out[k] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out
