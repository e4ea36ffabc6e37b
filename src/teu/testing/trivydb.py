"""trivy's database (trivy-db schema version 2) written from teu's fixture advisories,
so trivy and teu judge the same images on the same data.

    <cache>/db/trivy.db       BoltDB: "data-source" -> bucket -> source info;
                              "debian 12" / "alpine 3.19" -> source package -> ID -> advisory;
                              "pip::..." / "npm::..." -> package -> ID -> advisory;
                              "vulnerability" -> ID -> severity, title
    <cache>/db/metadata.json  {"Version": 2, "NextUpdate": ..., ...}
"""

from __future__ import annotations

import json
import os

from teu.scan.vulndb.debian import CODENAMES, URGENCY_SEVERITY
from teu.testing import boltdb, scanadvisories

SEVERITY_NUM = {"UNKNOWN": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
STATUS_AFFECTED = 2
ECOSYSTEM_BUCKETS = {"PyPI": ("pip::GitHub Security Advisory pip", "pip"),
                     "npm": ("npm::GitHub Security Advisory npm", "npm"),
                     "Go": ("go::The Go Vulnerability Database", "go")}


def _j(d: dict) -> bytes:
    return json.dumps(d, separators=(",", ":")).encode()


def tree() -> dict:
    from teu.scan.inventory.python import normalize
    from teu.scan.vulndb.osv import severity_of

    buckets: dict = {}
    vulns: dict = {}
    sources: dict = {}
    debian_release = "debian 12"
    sources[debian_release.encode()] = _j({"ID": "debian", "Name": "Debian Security Tracker",
                                           "URL": "https://salsa.debian.org/security-tracker-"
                                                  "team/security-tracker"})
    for pkg, cves in scanadvisories.TRACKER.items():
        for cve, entry in cves.items():
            rel = entry["releases"].get("bookworm")
            if rel is None or CODENAMES["bookworm"] != "12":
                continue
            sev = URGENCY_SEVERITY.get(rel.get("urgency", ""), "UNKNOWN")
            if rel["status"] == "resolved":
                if rel["fixed_version"] == "0":
                    continue
                adv = {"FixedVersion": rel["fixed_version"]}
            else:
                adv = {"Status": STATUS_AFFECTED, "Severity": SEVERITY_NUM[sev]}
            buckets.setdefault(debian_release.encode(), {}).setdefault(
                pkg.encode(), {})[cve.encode()] = _j(adv)
            vulns[cve.encode()] = _j({"Title": entry["description"],
                                      "Description": entry["description"],
                                      "Severity": sev,
                                      "VendorSeverity": {"debian": SEVERITY_NUM[sev]}})
    for rec in scanadvisories.OSV:
        if rec.get("withdrawn"):
            continue
        sev = severity_of(rec)
        for a in rec["affected"]:
            eco, name = a["package"]["ecosystem"], a["package"]["name"]
            ranges = [r for r in a.get("ranges", []) if r["type"] in ("ECOSYSTEM", "SEMVER")]
            if not ranges:
                continue
            fixed = [e["fixed"] for r in ranges for e in r["events"] if "fixed" in e]
            if eco.startswith("Alpine:"):
                bucket = f"alpine {eco.split(':v', 1)[1]}"
                sources[bucket.encode()] = _j({"ID": "alpine", "Name": "Alpine Secdb",
                                               "URL": "https://secdb.alpinelinux.org/"})
                adv = {"FixedVersion": fixed[0]} if fixed else {"Status": STATUS_AFFECTED}
                key = name
                vendor = "alpine"
            elif eco in ECOSYSTEM_BUCKETS:
                bucket, vendor = ECOSYSTEM_BUCKETS[eco]
                sources[bucket.encode()] = _j({"ID": "ghsa", "Name": bucket.split("::")[1],
                                               "URL": "https://github.com/advisories"})
                key = normalize(name) if eco == "PyPI" else name
                vulnerable = []
                for r in ranges:
                    intro = next((e["introduced"] for e in r["events"] if "introduced" in e),
                                 "0")
                    lo = f">={intro}, " if intro != "0" else ""
                    end = next(((k, e[k]) for e in r["events"] for k in
                                ("fixed", "last_affected") if k in e), None)
                    if end is None:
                        vulnerable.append(lo.rstrip(", ") or ">=0")
                    else:
                        vulnerable.append(lo + ("<" if end[0] == "fixed" else "<=") + end[1])
                adv = {"PatchedVersions": fixed, "VulnerableVersions": vulnerable}
                vendor = "ghsa"
            else:
                continue
            buckets.setdefault(bucket.encode(), {}).setdefault(key.encode(), {})[
                rec["id"].encode()] = _j(adv)
            vulns[rec["id"].encode()] = _j({"Title": rec["summary"], "Severity": sev,
                                            "VendorSeverity": {vendor: SEVERITY_NUM[sev]}})
    return {b"data-source": sources, b"vulnerability": vulns, **buckets}


def write(cache_dir: str) -> str:
    db_dir = os.path.join(cache_dir, "db")
    os.makedirs(db_dir, exist_ok=True)
    boltdb.write(os.path.join(db_dir, "trivy.db"), tree())
    with open(os.path.join(db_dir, "metadata.json"), "w") as f:
        json.dump({"Version": 2, "NextUpdate": "2099-01-01T00:00:00Z",
                   "UpdatedAt": "2026-01-01T00:00:00Z",
                   "DownloadedAt": "2026-01-01T00:00:00Z"}, f)
    return db_dir
