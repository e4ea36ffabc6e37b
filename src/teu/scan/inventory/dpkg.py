"""Debian's dpkg status database (var/lib/dpkg/status, and distroless status.d/ files).

RFC 822-style paragraphs; a package counts when its Status says "installed".
`Source: name (version)` names the source package the security tracker keys
advisories by; absent, the source is the binary package itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO

from teu.scan.inventory.model import DEB, Package

_MAX_PARAGRAPH = 1 << 20   # a hostile file cannot make one paragraph eat memory


def paragraphs(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    """Fields of each paragraph (continuation lines folded into the field before)."""
    fields: dict[str, str] = {}
    last = ""
    size = 0
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if fields:
                yield fields
            fields, last, size = {}, "", 0
            continue
        size += len(line)
        if size > _MAX_PARAGRAPH:
            continue
        if line[0] in " \t":
            if last:
                fields[last] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"not a field: {line[:60]!r}")
        last = key.strip()
        fields[last] = value.strip()
    if fields:
        yield fields


def packages(f: IO[str], path: str) -> list[Package]:
    out = []
    for p in paragraphs(f):
        status = p.get("Status", "install ok installed").split()
        if len(status) < 3 or status[2] != "installed":
            continue
        name, version = p.get("Package", ""), p.get("Version", "")
        if not name or not version:
            continue
        source, source_version = name, version
        if p.get("Source"):
            src = p["Source"]
            source = src.split()[0]
            if "(" in src and src.endswith(")"):
                source_version = src[src.index("(") + 1:-1].strip()
        out.append(Package(DEB, name, version, path=path, source_name=source,
                           source_version=source_version, arch=p.get("Architecture", "")))
    return out
