"""RPM's sqlite database (var/lib/rpm/rpmdb.sqlite, usr/lib/sysimage/rpm/rpmdb.sqlite).

Each row of `Packages` holds one header blob: il and dl (big-endian u32), il
index entries (tag, type, offset, count), then dl bytes of data. Opened
read-only and immutable, so nothing is ever written into a layer.
"""

from __future__ import annotations

import struct

from teu.scan.inventory.model import RPM, Package

NAME, VERSION, RELEASE, EPOCH, LICENSE, ARCH, SOURCERPM = 1000, 1001, 1002, 1003, 1014, 1022, 1044
INT32, STRING, STRING_ARRAY, I18NSTRING = 4, 6, 8, 9
_WANTED = {NAME, VERSION, RELEASE, EPOCH, LICENSE, ARCH, SOURCERPM}


def parse_header(blob: bytes) -> dict[int, object]:
    if len(blob) < 8:
        raise ValueError("header blob too short")
    il, dl = struct.unpack(">II", blob[:8])
    data_start = 8 + 16 * il
    if il > 100000 or data_start + dl > len(blob):
        raise ValueError("header blob truncated")
    data = blob[data_start:data_start + dl]
    out: dict[int, object] = {}
    for i in range(il):
        tag, typ, off, count = struct.unpack(">IIII", blob[8 + 16 * i:24 + 16 * i])
        if tag not in _WANTED or off >= dl:
            continue
        if typ == INT32:
            out[tag] = struct.unpack(">i", data[off:off + 4])[0]
        elif typ in (STRING, I18NSTRING, STRING_ARRAY):
            end = data.find(b"\0", off)
            out[tag] = data[off:end if end >= 0 else dl].decode(errors="replace")
    return out


def source_name(srpm: str) -> str:
    """openssl-3.0.7-2.el9.src.rpm -> openssl (name-version-release.arch.rpm)."""
    base = srpm.removesuffix(".rpm")
    base = base.rsplit(".", 1)[0]            # .src / .nosrc
    parts = base.rsplit("-", 2)
    return parts[0] if len(parts) == 3 else base


def packages(db_path: str, path: str) -> list[Package]:
    import sqlite3
    from urllib.parse import quote

    conn = sqlite3.connect(f"file:{quote(db_path)}?mode=ro&immutable=1", uri=True)
    try:
        rows = conn.execute("SELECT blob FROM Packages")
        out = []
        for (blob,) in rows:
            h = parse_header(bytes(blob))
            name = h.get(NAME)
            if not isinstance(name, str) or name == "gpg-pubkey":
                continue
            epoch = h.get(EPOCH)
            srpm = str(h.get(SOURCERPM, "") or "")
            out.append(Package(
                RPM, name, str(h.get(VERSION, "")), path=path, release=str(h.get(RELEASE, "")),
                epoch=epoch if isinstance(epoch, int) else None, arch=str(h.get(ARCH, "")),
                source_name=source_name(srpm) if srpm else name,
                licenses=[str(h[LICENSE])] if h.get(LICENSE) else []))
        return out
    finally:
        conn.close()


def make_header(tags: dict[int, object]) -> bytes:
    """The inverse of parse_header (tests build rpmdb fixtures with it)."""
    index, data = [], b""
    for tag, value in sorted(tags.items()):
        if isinstance(value, int):
            data += b"\0" * (-len(data) % 4)
            index.append(struct.pack(">IIII", tag, INT32, len(data), 1))
            data += struct.pack(">i", value)
        else:
            index.append(struct.pack(">IIII", tag, STRING, len(data), 1))
            data += str(value).encode() + b"\0"
    return struct.pack(">II", len(index), len(data)) + b"".join(index) + data
