"""Layer facts, bottom first -> the image's inventory, merged as overlayfs merges layers:
the topmost copy of a path wins, a whiteout hides the path and all below it, an
opaque directory hides what lower layers had inside it."""

from __future__ import annotations

from teu.scan.inventory.facts import Item, LayerFacts
from teu.scan.inventory.model import Inventory, OSInfo, Package


def _hidden(path: str, gone: str) -> bool:
    return path == gone or path.startswith(gone + "/")


def merged_items(layers: list[LayerFacts]) -> list[tuple[Item, str]]:
    """(item, diff ID of its layer) of every file of interest visible in the merged image."""
    seen: dict[str, tuple[Item, str]] = {}
    for facts in layers:
        for gone in facts.whiteouts:
            for path in [p for p in seen if _hidden(p, gone)]:
                del seen[path]
        for d in facts.opaque:
            for path in [p for p in seen if p.startswith(d + "/")]:
                del seen[path]
        for item in facts.items:
            seen[item.path] = (item, facts.diff_id)
    return [seen[p] for p in sorted(seen)]


def inventory(layers: list[LayerFacts]) -> Inventory:
    items = merged_items(layers)
    os_info = OSInfo()
    releases = {i.path: i for i, _ in items if i.kind == "os-release" and i.os}
    for path in ("etc/os-release", "usr/lib/os-release", "etc/debian_version",
                 "etc/alpine-release"):
        if path in releases:
            os_info = OSInfo(**releases[path].os)  # type: ignore[arg-type]
            break
    packages: list[Package] = []
    errors: list[str] = []
    for item, diff_id in items:
        if item.error:
            errors.append(item.error)
        for d in item.packages:
            p = Package.from_dict(d)
            p.layer = diff_id
            packages.append(p)
    packages.sort(key=lambda p: (p.type, p.name.lower(), p.version, p.path))
    return Inventory(os_info, packages, errors)


def deleted_secrets(layers: list[LayerFacts]) -> set[tuple[str, str]]:
    """(diff ID, path) of secret-looking files that a later layer deleted: gone from the
    merged view, still in the image's blobs for anyone who pulls it."""
    out = set()
    for i, facts in enumerate(layers):
        for hit in facts.secrets:
            for upper in layers[i + 1:]:
                if any(_hidden(hit["path"], w) for w in upper.whiteouts) or \
                   any(hit["path"].startswith(d + "/") for d in upper.opaque):
                    out.add((facts.diff_id, hit["path"]))
                    break
    return out
