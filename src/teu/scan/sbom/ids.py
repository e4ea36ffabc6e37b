"""Random (version 4) UUIDs for document serial numbers and namespaces, without the uuid
module (which imports `platform` at import time)."""

from __future__ import annotations

import os


def uuid4() -> str:
    b = bytearray(os.urandom(16))
    b[6] = b[6] & 0x0F | 0x40
    b[8] = b[8] & 0x3F | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
