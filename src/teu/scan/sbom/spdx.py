"""SPDX 2.3 JSON: the image as the described package, CONTAINS each package found.

Licenses are kept as found in a comment: package databases hold free text
("GPL-2+", "MIT/X11") that is often no valid SPDX expression, and a document
the validators reject helps nobody."""

from __future__ import annotations

import time
from typing import Any

from teu import __version__
from teu.scan.inventory.model import Inventory
from teu.scan.sbom.ids import uuid4
from teu.scan.sbom.purl import purl


def document(inv: Inventory, now: float | None = None) -> dict[str, Any]:
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    name = inv.image or inv.image_id
    image_ref = "SPDXRef-Image"
    packages: list[dict[str, Any]] = [{
        "name": name, "SPDXID": image_ref, "versionInfo": inv.image_id,
        "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION", "primaryPackagePurpose": "CONTAINER",
    }]
    rels = [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
             "relatedSpdxElement": image_ref}]
    if inv.os.id:
        packages.append({
            "name": inv.os.id, "SPDXID": "SPDXRef-OperatingSystem",
            "versionInfo": inv.os.version_id or "NOASSERTION",
            "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION", "primaryPackagePurpose": "OPERATING-SYSTEM"})
        rels.append({"spdxElementId": image_ref, "relationshipType": "CONTAINS",
                     "relatedSpdxElement": "SPDXRef-OperatingSystem"})
    for i, p in enumerate(inv.packages):
        ref = f"SPDXRef-Package-{p.type}-{i}"
        entry: dict[str, Any] = {
            "name": p.name, "SPDXID": ref, "versionInfo": p.full_version,
            "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                              "referenceType": "purl",
                              "referenceLocator": purl(p, inv.os)}],
            "primaryPackagePurpose": "LIBRARY" if p.type not in ("golang",) else "APPLICATION",
        }
        if p.source_name and p.source_name != p.name:
            entry["sourceInfo"] = f"built from source package {p.source_name} " \
                                  f"{p.source_version or p.version}"
        if p.licenses:
            entry["licenseComments"] = "declared: " + "; ".join(p.licenses)
        if p.path:
            entry["comment"] = f"found in /{p.path} (layer {p.layer})"
        packages.append(entry)
        rels.append({"spdxElementId": image_ref, "relationshipType": "CONTAINS",
                     "relatedSpdxElement": ref})
    return {
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": f"https://teu.invalid/spdx/{_safe(name)}-{uuid4()}",
        "creationInfo": {"created": created, "creators": [f"Tool: teu-{__version__}"]},
        "packages": packages, "relationships": rels,
    }


def _safe(s: str) -> str:
    return "".join(c if c.isalnum() or c in ".-_" else "-" for c in s)
