"""IDs for networks (64 hex digits, as docker's)."""

from __future__ import annotations

import os


def network_id() -> str:
    return os.urandom(32).hex()
