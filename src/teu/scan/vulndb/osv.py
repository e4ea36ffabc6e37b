"""OSV records (ossf.github.io/osv-schema) -> rows of the database.

Kept per affected entry: the ecosystem split into name and release
("Debian:12" -> Debian, 12; "Alpine:v3.19" -> Alpine, 3.19), the package name
(PyPI's normalized), the ECOSYSTEM and SEMVER ranges with their events
(introduced, fixed, last_affected, limit) and the explicit versions list. GIT
ranges name commits, not versions, and are dropped. A record without an id
or with no usable affected entry counts as skipped.
"""

from __future__ import annotations

import json
from typing import Any

from teu.scan.inventory.python import normalize

SEVERITIES = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")


def split_ecosystem(eco: str) -> tuple[str, str]:
    name, _, release = eco.partition(":")
    if name == "Alpine":
        release = release.removeprefix("v")
    elif name == "Ubuntu":
        release = release.split(":")[0]      # "22.04:LTS", "Pro:18.04:LTS" keep the number
        if not release[:1].isdigit():
            release = eco.split(":")[2] if eco.count(":") >= 2 else release
    return name, release


def severity_of(rec: dict[str, Any]) -> str:
    """The record's severity word: database_specific.severity, else from a CVSS v3 vector."""
    for where in (rec.get("database_specific"), *(a.get("database_specific") or {}
                                                  for a in rec.get("affected", [])
                                                  if isinstance(a, dict))):
        if isinstance(where, dict) and isinstance(where.get("severity"), str):
            s = where["severity"].upper()
            if s == "MODERATE":
                s = "MEDIUM"
            if s in SEVERITIES:
                return s
    for sev in rec.get("severity") or []:
        if isinstance(sev, dict) and str(sev.get("type", "")).startswith("CVSS_V3"):
            score = cvss3_base_score(str(sev.get("score", "")))
            if score is not None:
                return word_for_score(score)
    return "UNKNOWN"


def word_for_score(score: float) -> str:
    if score >= 9.0:
        return "CRITICAL"
    if score >= 7.0:
        return "HIGH"
    if score >= 4.0:
        return "MEDIUM"
    if score > 0:
        return "LOW"
    return "UNKNOWN"


def cvss3_base_score(vector: str) -> float | None:
    """CVSS 3.x base score from its vector (the specification's formulas)."""
    import math

    try:
        m = dict(p.split(":", 1) for p in vector.split("/")[1:])
        av = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}[m["AV"]]
        ac = {"L": 0.77, "H": 0.44}[m["AC"]]
        changed = m["S"] == "C"
        pr = {"N": 0.85, "L": 0.68 if changed else 0.62, "H": 0.5 if changed else 0.27}[m["PR"]]
        ui = {"N": 0.85, "R": 0.62}[m["UI"]]
        c, i, a = ({"H": 0.56, "L": 0.22, "N": 0.0}[m[k]] for k in ("C", "I", "A"))
    except (KeyError, ValueError):
        return None
    iss = 1 - (1 - c) * (1 - i) * (1 - a)
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    if impact <= 0:
        return 0.0
    exploit = 8.22 * av * ac * pr * ui
    base = min(1.08 * (impact + exploit), 10) if changed else min(impact + exploit, 10)

    def roundup(x: float) -> float:
        n = int(round(x * 100000))
        return n / 100000.0 if n % 10000 == 0 else (math.floor(n / 10000) + 1) / 10.0
    return roundup(base)


def rows(rec: Any) -> tuple[tuple, list[tuple]] | None:
    """(vuln row, affected rows) of one OSV record, or None if it is not one."""
    if not isinstance(rec, dict) or not isinstance(rec.get("id"), str) or \
       not isinstance(rec.get("affected", []), list):
        return None
    vid = rec["id"]
    affected = []
    for a in rec.get("affected", []):
        if not isinstance(a, dict) or not isinstance(a.get("package"), dict):
            continue
        eco, name = a["package"].get("ecosystem"), a["package"].get("name")
        if not isinstance(eco, str) or not isinstance(name, str):
            continue
        eco_name, release = split_ecosystem(eco)
        if eco_name == "PyPI":
            name = normalize(name)
        ranges = [{"type": r["type"], "events": [e for e in r.get("events", [])
                                                 if isinstance(e, dict)]}
                  for r in a.get("ranges", []) or []
                  if isinstance(r, dict) and r.get("type") in ("ECOSYSTEM", "SEMVER")]
        versions = [v for v in a.get("versions", []) or [] if isinstance(v, str)]
        if not ranges and not versions:
            continue
        affected.append((vid, "", eco_name, release, name, json.dumps(ranges),
                         json.dumps(versions), None, None))
    if not affected and not rec.get("withdrawn"):
        return None
    refs = [r.get("url") for r in rec.get("references", []) or []
            if isinstance(r, dict) and isinstance(r.get("url"), str)]
    vuln = (vid, "", rec.get("summary") or (rec.get("details") or "")[:200], severity_of(rec),
            json.dumps([x for x in rec.get("aliases", []) or [] if isinstance(x, str)]),
            rec.get("withdrawn") if isinstance(rec.get("withdrawn"), str) else None,
            rec.get("modified") if isinstance(rec.get("modified"), str) else None,
            json.dumps(refs[:20]))
    return vuln, affected
