"""HTTP ranges: `Range: bytes=` for downloads, `Content-Range` for upload chunks."""

from __future__ import annotations

import re

_BYTES_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
# Upload chunks: the spec's "<start>-<end>"; docker clients send "bytes <start>-<end>/<total>"
# on occasion, so accept that form too.
_CHUNK_RANGE = re.compile(r"(?:bytes[ =])?(\d+)-(\d+)(?:/(?:\d+|\*))?")


class RangeNotSatisfiable(ValueError):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) for one byte range, None for the whole entity.

    Multi-range requests are answered with the whole entity (RFC 9110 lets a
    server ignore Range). Unsatisfiable ranges raise RangeNotSatisfiable.
    """
    if not header:
        return None
    header = header.strip()
    if "," in header:
        return None
    m = _BYTES_RANGE.fullmatch(header)
    if not m:
        return None  # an unknown unit or malformed header is ignored, per RFC 9110
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        return None
    if first == "":
        n = int(last)  # suffix range: the last n bytes
        if n == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - n), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # syntactically invalid: ignored, the whole entity is sent
    if start >= size:
        raise RangeNotSatisfiable(header)
    end = int(last) if last else size - 1
    return start, min(end, size - 1)


def parse_chunk_range(header: str) -> tuple[int, int]:
    """(start, end inclusive) from an upload's Content-Range; ValueError if malformed."""
    m = _CHUNK_RANGE.fullmatch(header.strip())
    if not m:
        raise ValueError(f"malformed Content-Range {header!r}")
    start, end = int(m.group(1)), int(m.group(2))
    if end < start:
        raise ValueError(f"Content-Range end before start: {header!r}")
    return start, end
