"""Inventory x vulnerability database -> findings.

OS packages are looked up under their distribution's ecosystem and release
(Debian 12, Alpine 3.19, Rocky Linux 9) by the name advisories use: the
source package for Debian (the tracker and DSAs key by it) and Alpine
(the origin), binary and source names for rpm. The version compared is the
one the advisory speaks of: a Debian binary built by a binNMU (5.2.15-2+b2)
is compared by its source version (5.2.15-2). Language packages are looked
up in PyPI, npm and Go. Ranges follow the OSV evaluation rules.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from teu.scan.inventory.model import APK, DEB, GOLANG, NPM, PYPI, RPM, Inventory, Package
from teu.scan.inventory.python import normalize
from teu.scan.versions import SCHEME_OF, comparator
from teu.scan.vulndb.debian import URGENCY_SEVERITY

SEVERITIES = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")
OS_ECOSYSTEM = {"debian": "Debian", "ubuntu": "Ubuntu", "alpine": "Alpine",
                "rocky": "Rocky Linux", "almalinux": "AlmaLinux", "rhel": "Red Hat"}
LANG_ECOSYSTEM = {PYPI: "PyPI", NPM: "npm", GOLANG: "Go"}


@dataclass
class Finding:
    id: str
    package: str
    type: str
    installed: str
    fixed: str                      # "" when no fix is known (unfixed)
    severity: str
    source: str                     # osv, debian-tracker
    summary: str = ""
    path: str = ""
    layer: str = ""
    purl: str = ""
    aliases: list[str] = field(default_factory=list)
    source_package: str = ""

    @property
    def status(self) -> str:
        return "fixed" if self.fixed else "affected"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["status"] = self.status
        return d


def _events_key(cmp: Callable[[str, str], int]):  # noqa: ANN202
    def order(a: tuple[str, str], b: tuple[str, str]) -> int:
        if a[1] == b[1]:
            return 0
        if a[1] == "0" and a[0] == "introduced":
            return -1
        if b[1] == "0" and b[0] == "introduced":
            return 1
        return cmp(a[1], b[1])
    return functools.cmp_to_key(order)


def in_range(version: str, events: list[dict], cmp: Callable[[str, str], int]
             ) -> tuple[bool, str]:
    """(affected?, the first fixed version above `version`, or "")."""
    flat = [(k, str(v)) for e in events for k, v in e.items()
            if k in ("introduced", "fixed", "last_affected", "limit")]
    flat.sort(key=_events_key(cmp))
    affected = False
    fix = ""
    limits = []
    for kind, ver in flat:
        if kind == "introduced":
            if ver == "0" or cmp(version, ver) >= 0:
                affected = True
        elif kind == "fixed":
            if cmp(version, ver) >= 0:
                affected = False
            elif not fix:
                fix = ver
        elif kind == "last_affected":
            if cmp(version, ver) > 0:
                affected = False
        else:
            limits.append(ver)
    if affected and limits and all(cmp(version, lim) >= 0 for lim in limits):
        affected = False
    return affected, fix if affected else ""


def _lookups(p: Package, inv: Inventory) -> list[tuple[str, str, list[str], str, str]]:
    """(ecosystem, release, names, version to compare, scheme) to query for a package."""
    if p.type in (DEB, APK, RPM):
        eco = OS_ECOSYSTEM.get(inv.os.id)
        if eco is None:
            return []
        release = inv.os.release
        if p.type == RPM:
            release = release.split(".")[0]
        if p.type == DEB:
            names = [p.source_name or p.name]
            version = p.source_version or p.version
        elif p.type == APK:
            names = [p.source_name or p.name]
            version = p.version
        else:
            names = sorted({p.name, p.source_name or p.name})
            version = p.full_version
        return [(eco, release, names, version, SCHEME_OF[p.type])]
    eco = LANG_ECOSYSTEM.get(p.type)
    if eco is None:
        return []
    name = normalize(p.name) if p.type == PYPI else p.name
    version = p.version
    if p.type == GOLANG and name == "stdlib":
        version = "v" + version.removeprefix("go")
    return [(eco, "", [name], version, "semver" if eco != "PyPI" else "pep440")]


def match(conn: sqlite3.Connection, inv: Inventory) -> tuple[list[Finding], list[str]]:
    """Findings, and warnings (versions that could not be compared)."""
    from teu.scan.sbom.purl import purl

    findings: dict[tuple[str, str, str], Finding] = {}
    warnings: list[str] = []
    vulns: dict[tuple[str, str], tuple] = {}
    for p in inv.packages:
        for eco, release, names, version, scheme in _lookups(p, inv):
            cmp = comparator(scheme)
            marks = ",".join("?" * len(names))
            rows = conn.execute(
                f"SELECT vuln, source, ranges, versions, urgency FROM affected WHERE "
                f"ecosystem=? AND release=? AND package IN ({marks})",
                (eco, release, *names)).fetchall()
            for vid, source, ranges, versions, urgency in rows:
                key = (vid, source)
                if key not in vulns:
                    vulns[key] = conn.execute(
                        "SELECT summary, severity, aliases, withdrawn FROM vulns WHERE id=? AND "
                        "source=?", (vid, source)).fetchone() or ("", "UNKNOWN", "[]", None)
                summary, severity, aliases, withdrawn = vulns[key]
                if withdrawn:
                    continue
                hit, fix = version in json.loads(versions or "[]"), ""
                try:
                    for r in json.loads(ranges or "[]"):
                        rcmp = comparator("semver") if r.get("type") == "SEMVER" else cmp
                        ok, f = in_range(version, r.get("events", []), rcmp)
                        if ok:
                            hit, fix = True, fix or f
                except (ValueError, TypeError) as e:
                    warnings.append(f"{vid}: {p.name} {version}: {e}")
                    continue
                if not hit:
                    continue
                if urgency is not None:
                    severity = URGENCY_SEVERITY.get(urgency, "UNKNOWN")
                fkey = (vid, p.name, p.path)
                old = findings.get(fkey)
                if old is not None and (old.fixed or not fix):
                    continue
                findings[fkey] = Finding(
                    vid, p.name, p.type, p.full_version, fix, severity or "UNKNOWN", source,
                    summary or "", p.path, p.layer, purl(p, inv.os), json.loads(aliases or "[]"),
                    p.source_name)
    out = sorted(findings.values(), key=lambda f: (f.package, f.id, f.path))
    return out, warnings


def severity_rank(s: str) -> int:
    return SEVERITIES.index(s) if s in SEVERITIES else 0
