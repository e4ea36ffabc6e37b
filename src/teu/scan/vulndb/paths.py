"""Where the vulnerability database lives (its own module: the warm scan path needs the
path without the schema code and its dataclasses)."""

from __future__ import annotations

import os


def default_path(store_root: str | None = None) -> str:
    """--db, else $TEU_SCAN_DB, else <store root>/scan/vuln.db."""
    env = os.environ.get("TEU_SCAN_DB")
    if env:
        return env
    root = store_root or os.environ.get("TEU_ROOT") or "/var/lib/teu"
    return os.path.join(root, "scan", "vuln.db")
