"""The inventory as a table, like `syft -o table`: NAME VERSION TYPE."""

from __future__ import annotations

from teu.scan.inventory.model import Inventory


def render(inv: Inventory) -> str:
    rows = [("NAME", "VERSION", "TYPE")] + [(p.name, p.full_version, p.type)
                                            for p in inv.packages]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    head = f"{inv.image}: {inv.os.pretty_name or inv.os.id or 'unknown OS'}, " \
           f"{len(inv.packages)} packages"
    return head + "\n" + "\n".join(lines) + "\n"
