"""The Debian security tracker's JSON (security-tracker.debian.org/tracker/data/json):

    {source package: {CVE: {"description", "releases": {codename: {"status",
        "fixed_version", "urgency", "repositories"}}}}}

keyed by source package, as advisories are. Per release: "resolved" with a
fixed_version is fixed in that version ("0" means the release never had the
bug: nothing to store); "open" and "undetermined" are unfixed. Codenames map
to release numbers (bookworm -> 12); sid and unknown codenames are dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

CODENAMES = {"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13",
             "forky": "14", "duke": "15", "stretch": "9", "jessie": "8"}
URGENCY_SEVERITY = {"unimportant": "LOW", "low": "LOW", "low*": "LOW", "medium": "MEDIUM",
                    "medium*": "MEDIUM", "high": "HIGH", "high*": "HIGH"}


def looks_like_tracker(doc: Any) -> bool:
    if not isinstance(doc, dict) or not doc or "id" in doc or "schema_version" in doc:
        return False
    first = next(iter(doc.values()))
    return isinstance(first, dict) and all(isinstance(v, dict) and "releases" in v
                                           for v in list(first.values())[:3])


def records(doc: dict[str, Any]) -> Iterator[tuple[tuple, list[tuple]] | None]:
    """(vuln row, affected rows) per CVE entry; None for an entry of unknown shape."""
    for package, cves in doc.items():
        if not isinstance(cves, dict):
            yield None
            continue
        for cve, entry in cves.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("releases"), dict):
                yield None
                continue
            affected = []
            worst = "UNKNOWN"
            for codename, rel in entry["releases"].items():
                release = CODENAMES.get(codename)
                if release is None or not isinstance(rel, dict):
                    continue
                status, fixed = rel.get("status"), rel.get("fixed_version")
                urgency = str(rel.get("urgency", "") or "")
                if status == "resolved":
                    if not isinstance(fixed, str) or fixed == "0":
                        continue
                    ranges = [{"type": "ECOSYSTEM",
                               "events": [{"introduced": "0"}, {"fixed": fixed}]}]
                elif status in ("open", "undetermined"):
                    ranges = [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]
                else:
                    continue
                sev = URGENCY_SEVERITY.get(urgency, "UNKNOWN")
                if _rank(sev) > _rank(worst):
                    worst = sev
                affected.append((cve, "", "Debian", release, package, json.dumps(ranges), "[]",
                                 status, urgency))
            desc = entry.get("description") if isinstance(entry.get("description"), str) else ""
            yield (cve, "", desc[:200], worst, "[]", None, None, "[]"), affected


def _rank(s: str) -> int:
    return ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL").index(s)


def is_tracker_file(raw: bytes) -> bool:
    """Cheap check before parsing a big file: the tracker's JSON is one object of objects."""
    head = raw[:4096].lstrip()
    return head.startswith(b"{") and b'"releases"' in raw[:1 << 20]


def load(raw: bytes) -> Any:
    return json.loads(raw)
