"""An inventory in the format asked for."""

from __future__ import annotations

import json

from teu.scan.inventory.model import Inventory


def render(inv: Inventory, fmt: str) -> str:
    if fmt == "table":
        from teu.scan.sbom.table import render as table

        return table(inv)
    if fmt == "spdx-json":
        from teu.scan.sbom.spdx import document
    elif fmt == "cyclonedx-json":
        from teu.scan.sbom.cyclonedx import document
    elif fmt == "json":
        return json.dumps({"image": inv.image, "id": inv.image_id, "os": inv.os.to_dict(),
                           "packages": [p.to_dict() for p in inv.packages],
                           "errors": inv.errors}, indent=2) + "\n"
    else:
        raise ValueError(f"unknown SBOM format {fmt!r}")
    return json.dumps(document(inv), indent=2) + "\n"
