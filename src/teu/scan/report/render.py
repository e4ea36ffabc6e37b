"""Findings in the format asked for (`teu scan --format`)."""

from __future__ import annotations

import json

from teu import __version__
from teu.scan.inventory.model import Inventory
from teu.scan.match import Finding

SARIF_LEVEL = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note",
               "UNKNOWN": "note"}


def table(inv: Inventory, findings: list[Finding]) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    head = (f"{inv.image} ({inv.os.pretty_name or inv.os.id or 'unknown OS'})\n"
            f"Total: {len(findings)} (" + ", ".join(
                f"{s}: {counts.get(s, 0)}" for s in ("UNKNOWN", "LOW", "MEDIUM", "HIGH",
                                                     "CRITICAL")) + ")\n")
    rows = [("PACKAGE", "VULNERABILITY", "SEVERITY", "STATUS", "INSTALLED", "FIXED", "SOURCE")]
    rows += [(f.package, f.id, f.severity, f.status, f.installed, f.fixed or "unfixed",
              f.source) for f in findings]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    body = "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)
    return head + "\n" + body + "\n"


def as_json(inv: Inventory, findings: list[Finding], warnings: list[str]) -> str:
    return json.dumps({"image": inv.image, "id": inv.image_id,
                       "os": inv.os.to_dict(), "findings": [f.to_dict() for f in findings],
                       "warnings": warnings + inv.errors}, indent=2) + "\n"


def sarif(inv: Inventory, findings: list[Finding]) -> str:
    rules: dict[str, dict] = {}
    results = []
    for f in findings:
        rules.setdefault(f.id, {
            "id": f.id, "shortDescription": {"text": f.summary or f.id},
            "properties": {"security-severity": {"CRITICAL": "9.5", "HIGH": "8.0",
                                                 "MEDIUM": "5.5", "LOW": "2.0"}.get(
                f.severity, "0.0"), "tags": ["vulnerability", f.severity]}})
        fix = f"fixed in {f.fixed}" if f.fixed else "no fix yet"
        results.append({
            "ruleId": f.id, "level": SARIF_LEVEL.get(f.severity, "note"),
            "message": {"text": f"{f.package} {f.installed}: {f.id} ({f.severity}, {fix})"},
            "locations": [{"physicalLocation": {"artifactLocation": {
                "uri": f.path or inv.image}}}]})
    doc = {"version": "2.1.0",
           "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
           "runs": [{"tool": {"driver": {"name": "teu scan", "version": __version__,
                                         "informationUri": "https://teu.invalid/scan",
                                         "rules": list(rules.values())}},
                     "results": results}]}
    return json.dumps(doc, indent=2) + "\n"


def vex(inv: Inventory, findings: list[Finding]) -> str:
    from teu.scan.sbom.cyclonedx import bom

    components, vulns, seen = [], [], set()
    for f in findings:
        if f.purl not in seen:
            seen.add(f.purl)
            components.append({"type": "library", "bom-ref": f.purl, "name": f.package,
                               "version": f.installed, "purl": f.purl})
        v = {"bom-ref": f"{f.id}:{f.purl}", "id": f.id,
             "source": {"name": f.source},
             "ratings": [{"severity": f.severity.lower() if f.severity != "UNKNOWN"
                          else "unknown", "method": "other"}],
             "affects": [{"ref": f.purl}],
             "analysis": {"state": "exploitable" if not f.fixed else "in_triage",
                          "detail": f"fixed in {f.fixed}" if f.fixed else "no fix yet"}}
        if f.summary:
            v["description"] = f.summary
        if f.fixed:
            v["recommendation"] = f"upgrade {f.package} to {f.fixed}"
        vulns.append(v)
    return json.dumps(bom(inv, components, vulnerabilities=vulns), indent=2) + "\n"


def render(fmt: str, inv: Inventory, findings: list[Finding], warnings: list[str]) -> str:
    if fmt == "table":
        return table(inv, findings)
    if fmt == "json":
        return as_json(inv, findings, warnings)
    if fmt == "sarif":
        return sarif(inv, findings)
    if fmt == "cyclonedx-vex":
        return vex(inv, findings)
    raise ValueError(f"unknown report format {fmt!r}")
