"""Go binaries' embedded build info (`go version -m`): the .go.buildinfo section.

Since Go 1.18 the section starts with "\\xff Go buildinf:", a pointer size, a
flags byte (bit 2: strings inline), 16 bytes of padding, then two varint-
prefixed strings: the Go version and the module info. The module info is
framed by 16-byte sentinels and holds tab-separated lines:

    path  <main package>           mod  <module> <version> <sum>
    dep   <module> <version> <sum>  =>   <replacement> <version> <sum>

Only the ELF section headers and that one section are read, never the whole
binary. Older binaries (pointer-based build info) are reported as Go binaries
with no module list.
"""

from __future__ import annotations

import os
import struct

from teu.scan.inventory.model import GOLANG, Package

MAGIC = b"\xff Go buildinf:"
_MAX_SECTION = 1 << 20


def _uvarint(b: bytes, i: int) -> tuple[int, int]:
    x = shift = 0
    while i < len(b):
        c = b[i]
        i += 1
        x |= (c & 0x7F) << shift
        if c < 0x80:
            return x, i
        shift += 7
        if shift > 63:
            break
    raise ValueError("bad varint")


def buildinfo_section(fd: int) -> bytes | None:
    """The .go.buildinfo section of an ELF file, or None (not ELF, no such section)."""
    head = os.pread(fd, 64, 0)
    if len(head) < 52 or head[:4] != b"\x7fELF":
        return None
    is64, little = head[4] == 2, head[5] == 1
    e = "<" if little else ">"
    if is64:
        shoff, = struct.unpack_from(e + "Q", head, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", head, 0x3A)
    else:
        shoff, = struct.unpack_from(e + "I", head, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", head, 0x2E)
    if not shoff or shnum == 0 or shnum > 4096 or shstrndx >= shnum or shentsize < 40:
        return None
    table = os.pread(fd, shentsize * shnum, shoff)
    if len(table) < shentsize * shnum:
        return None

    def section(i: int) -> tuple[int, int, int]:
        base = i * shentsize
        if is64:
            name, _t, _f, _a, off, size = struct.unpack_from(e + "IIQQQQ", table, base)
        else:
            name, _t, _f, _a, off, size = struct.unpack_from(e + "IIIIII", table, base)
        return name, off, size

    _, stroff, strsize = section(shstrndx)
    names = os.pread(fd, min(strsize, 1 << 16), stroff)
    for i in range(shnum):
        name, off, size = section(i)
        end = names.find(b"\0", name)
        if names[name:end] == b".go.buildinfo":
            return os.pread(fd, min(size, _MAX_SECTION), off)
    return None


def parse_buildinfo(data: bytes, path: str) -> list[Package]:
    if not data.startswith(MAGIC) or len(data) < 32:
        return []
    flags = data[15]
    if not flags & 2:
        return []  # pre-1.18 pointer format: no module list without the data segments
    n, i = _uvarint(data, 32)
    go_version = data[i:i + n].decode(errors="replace")
    i += n
    n, i = _uvarint(data, i)
    mod = data[i:i + n]
    if len(mod) >= 33 and mod[-17:-16] == b"\n":
        mod = mod[16:-16]
    out: list[Package] = []
    last: Package | None = None
    for line in mod.decode(errors="replace").splitlines():
        parts = line.split("\t")
        if parts[0] == "mod" and len(parts) >= 3 and parts[2] == "(devel)":
            last = None   # a main module built from a work tree has no version to match
        elif parts[0] in ("mod", "dep") and len(parts) >= 3:
            last = Package(GOLANG, parts[1], parts[2], path=path)
            out.append(last)
        elif parts[0] == "=>" and len(parts) >= 3 and last is not None:
            last.name, last.version = parts[1], parts[2]
    if go_version.startswith("go"):
        out.append(Package(GOLANG, "stdlib", go_version, path=path))
    return out


def packages(host_path: str, path: str) -> list[Package] | None:
    """Modules of the Go binary at host_path; None when it is not a Go binary."""
    fd = os.open(host_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        data = buildinfo_section(fd)
    finally:
        os.close(fd)
    if data is None or not data.startswith(MAGIC):
        return None
    return parse_buildinfo(data, path)
