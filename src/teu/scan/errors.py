"""The scan's user-facing failures (one line each, never a traceback)."""

from __future__ import annotations

from teu.errors import TeuError


class ScanError(TeuError):
    exit_code = 1


class DBError(ScanError):
    """The vulnerability database is missing, corrupt or an import failed."""
