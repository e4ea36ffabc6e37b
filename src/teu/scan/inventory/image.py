"""A store image -> its layers' facts (cached) and its inventory."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from teu.scan.errors import ScanError
from teu.scan.inventory.facts import LayerFacts
from teu.scan.inventory.merge import inventory
from teu.scan.inventory.model import Inventory


@dataclass
class ScannedImage:
    name: str
    image_id: str
    digest: str
    config: dict[str, Any]           # the image config JSON (User, Env, Healthcheck, history)
    layers: list[LayerFacts]
    layers_read: int = 0             # how many layers were walked (0 on a warm cache)
    repo_tags: list[str] = field(default_factory=list)

    def inventory(self) -> Inventory:
        inv = inventory(self.layers)
        inv.image, inv.image_id, inv.digest = self.name, self.image_id, self.digest
        return inv


def scan_image(store: Any, name: str, use_cache: bool = True) -> ScannedImage:
    """Facts of every layer of the image `name` in `store` (a teu.image.store.Store)."""
    import json

    from teu.scan.cache import LayerCache

    img = store.image(name)
    config = json.loads(img.raw_config())
    cache = LayerCache(store.root)
    facts: list[LayerFacts] = []
    read = 0
    for row in store.db.layers_of(img.id):
        cached = cache.get(row.diff_id) if use_cache else None
        if cached is None:
            path = store.layers.path(row.chain_id)
            if not os.path.isdir(path):
                raise ScanError(f"{name}: layer {row.diff_id[:19]} is not unpacked in the "
                                "store (pull the image again)")
            from teu.scan.inventory.layerscan import scan_layer

            cached = scan_layer(path, row.diff_id)
            read += 1
            cache.put(cached)
        facts.append(cached)
    return ScannedImage(name, img.id, str(img.row.manifest), config, facts, read,
                        list(img.row.tags))
