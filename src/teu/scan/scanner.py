"""A vulnerability scan of a store image: its (cached) inventory matched against the
local database, then filtered as the user asked."""

from __future__ import annotations

from dataclasses import dataclass, field

from teu.scan.inventory.model import Inventory
from teu.scan.match import SEVERITIES, Finding, match


@dataclass
class ScanOptions:
    severities: tuple[str, ...] = SEVERITIES
    ignore_unfixed: bool = False
    ignored: set[str] = field(default_factory=set)
    use_cache: bool = True


@dataclass
class ScanResult:
    inventory: Inventory
    findings: list[Finding]
    warnings: list[str]
    layers_read: int


def parse_severities(text: str) -> tuple[str, ...]:
    from teu.scan.errors import ScanError

    out = tuple(s.strip().upper() for s in text.split(",") if s.strip())
    bad = [s for s in out if s not in SEVERITIES]
    if bad or not out:
        raise ScanError(f"--severity: {', '.join(bad) or text!r}: want a comma-separated list "
                        f"of {','.join(SEVERITIES)}", 125)
    return out


def scan(store, name: str, db_path: str, opts: ScanOptions | None = None) -> ScanResult:  # noqa: ANN001
    from teu.scan.inventory.image import scan_image
    from teu.scan.vulndb.db import open_db

    opts = opts or ScanOptions()
    conn = open_db(db_path)   # before reading the image: no database, no scan
    try:
        scanned = scan_image(store, name, use_cache=opts.use_cache)
        inv = scanned.inventory()
        findings, warnings = match(conn, inv)
    finally:
        conn.close()
    kept = [f for f in findings
            if f.severity in opts.severities and f.id not in opts.ignored
            and not any(a in opts.ignored for a in f.aliases)
            and not (opts.ignore_unfixed and not f.fixed)]
    return ScanResult(inv, kept, warnings, scanned.layers_read)
