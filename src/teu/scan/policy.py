"""The scan as a gate: refuse an image whose findings reach a severity (`teu pull --scan`)."""

from __future__ import annotations

from dataclasses import dataclass

from teu.scan.errors import ScanError
from teu.scan.match import SEVERITIES, Finding


@dataclass
class ScanPolicy:
    severity: str = "HIGH"               # refuse at this severity or above
    ignore_unfixed: bool = False
    db_path: str | None = None


def blocking(findings: list[Finding], policy: ScanPolicy) -> list[Finding]:
    floor = SEVERITIES.index(policy.severity)
    return [f for f in findings if SEVERITIES.index(f.severity) >= floor
            and not (policy.ignore_unfixed and not f.fixed)]


def enforce(store, name: str, policy: ScanPolicy) -> list[Finding]:  # noqa: ANN001
    """The blocking findings of the store image `name` (empty: allowed)."""
    from teu.scan.scanner import ScanOptions, scan
    from teu.scan.vulndb.db import default_path

    if policy.severity not in SEVERITIES:
        raise ScanError(f"--scan-severity: {policy.severity!r} is not one of "
                        f"{', '.join(SEVERITIES)}", 125)
    result = scan(store, name, policy.db_path or default_path(store.root), ScanOptions())
    return blocking(result.findings, policy)
