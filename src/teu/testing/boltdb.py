"""Write a BoltDB (bbolt) file from nested dicts: what trivy reads as its database.

Only what a reader needs, written once: two meta pages, an empty freelist, and
one leaf page per bucket (with overflow pages when it is larger than a page),
keys sorted, sub-buckets as bucket-flagged leaf values pointing at their root
page. The format (bbolt's page.go, meta in db.go): page header id u64, flags
u16, count u16, overflow u32; leaf element flags/pos/ksize/vsize u32, pos
relative to the element; meta magic 0xED0CDAED, version 2, FNV-1a checksum.

    write(path, {b"bucket": {b"key": b"value", b"sub": {...}}})
"""

from __future__ import annotations

import struct

PAGE = 4096
BRANCH, LEAF, META, FREELIST = 0x01, 0x02, 0x04, 0x10
BUCKET_LEAF = 0x01
MAGIC, VERSION = 0xED0CDAED, 2


def _fnv64a(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


class _Writer:
    def __init__(self) -> None:
        self.pages: dict[int, bytes] = {}
        self.next = 3            # 0, 1: meta; 2: freelist

    def leaf(self, items: list[tuple[bytes, bytes, int]]) -> int:
        n = len(items)
        head = 16 + 16 * n
        elems, data = b"", b""
        for i, (k, v, flags) in enumerate(items):
            pos = head + len(data) - (16 + 16 * i)
            elems += struct.pack("<IIII", flags, pos, len(k), len(v))
            data += k + v
        size = head + len(data)
        npages = max(1, -(-size // PAGE))
        pgid = self.next
        self.next += npages
        page = struct.pack("<QHHI", pgid, LEAF, n, npages - 1) + elems + data
        self.pages[pgid] = page + b"\0" * (npages * PAGE - len(page))
        return pgid

    def bucket(self, tree: dict) -> int:
        items = []
        for key in sorted(tree):
            value = tree[key]
            if isinstance(value, dict):
                root = self.bucket(value)
                items.append((key, struct.pack("<QQ", root, 0), BUCKET_LEAF))
            else:
                items.append((key, value, 0))
        return self.leaf(items)


def _meta(pgid: int, root: int, high: int, txid: int) -> bytes:
    body = struct.pack("<IIIIQQQQQ", MAGIC, VERSION, PAGE, 0, root, 0, 2, high, txid)
    body += struct.pack("<Q", _fnv64a(body))
    page = struct.pack("<QHHI", pgid, META, 0, 0) + body
    return page + b"\0" * (PAGE - len(page))


def write(path: str, tree: dict) -> None:
    w = _Writer()
    root = w.bucket(tree)
    high = w.next
    with open(path, "wb") as f:
        f.write(_meta(0, root, high, 2))
        f.write(_meta(1, root, high, 1))
        free = struct.pack("<QHHI", 2, FREELIST, 0, 0)
        f.write(free + b"\0" * (PAGE - len(free)))
        for pgid in range(3, high):
            if pgid in w.pages:
                f.write(w.pages[pgid])
