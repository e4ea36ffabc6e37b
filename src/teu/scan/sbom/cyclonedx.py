"""CycloneDX 1.5 JSON: the image as metadata.component, the OS and every package as
components with purls (bom-ref = purl, made unique where two copies share one)."""

from __future__ import annotations

import time
from typing import Any

from teu import __version__
from teu.scan.inventory.model import Inventory
from teu.scan.sbom.ids import uuid4
from teu.scan.sbom.purl import purl


def document(inv: Inventory, now: float | None = None) -> dict[str, Any]:
    components: list[dict[str, Any]] = []
    if inv.os.id:
        components.append({"type": "operating-system", "bom-ref": f"os:{inv.os.id}",
                           "name": inv.os.id, "version": inv.os.version_id or ""})
    refs: set[str] = set()
    for p in inv.packages:
        u = purl(p, inv.os)
        ref, n = u, 1
        while ref in refs:
            n += 1
            ref = f"{u}#{n}"
        refs.add(ref)
        c: dict[str, Any] = {"type": "library" if p.type != "golang" else "library",
                             "bom-ref": ref, "name": p.name, "version": p.full_version,
                             "purl": u}
        if p.licenses:
            c["licenses"] = [{"license": {"name": lic}} for lic in p.licenses]
        props = [{"name": "teu:package:type", "value": p.type}]
        if p.source_name:
            props.append({"name": "teu:package:source", "value": p.source_name})
        if p.path:
            props.append({"name": "teu:package:path", "value": "/" + p.path})
        if p.layer:
            props.append({"name": "teu:layer:diff_id", "value": p.layer})
        c["properties"] = props
        components.append(c)
    return bom(inv, components, now)


def bom(inv: Inventory, components: list[dict[str, Any]], now: float | None = None,
        **extra: Any) -> dict[str, Any]:
    """The envelope (also used by the VEX report)."""
    return {
        "bomFormat": "CycloneDX", "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid4()}", "version": 1,
        "metadata": {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "tools": {"components": [{"type": "application", "name": "teu",
                                      "version": __version__}]},
            "component": {"type": "container", "bom-ref": inv.image_id or "image",
                          "name": inv.image or inv.image_id,
                          **({"version": inv.image_id} if inv.image_id else {})},
        },
        "components": components, **extra,
    }
