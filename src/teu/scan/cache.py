"""The scan cache under the store root: <root>/scan-cache/layers/<diff-id-hex>.json.

A layer's facts depend only on its content (its diff ID) and on the scanner's
version, so they are computed once and then read instead of the layer. Files
are written to a temporary name and renamed: a killed scan never leaves half
a record, and the cache is the only place a scan writes.
"""

from __future__ import annotations

import json
import os

from teu.scan.inventory.facts import FACTS_VERSION, LayerFacts


class LayerCache:
    def __init__(self, store_root: str) -> None:
        self.dir = os.path.join(store_root, "scan-cache", "layers")

    def _path(self, diff_id: str) -> str:
        return os.path.join(self.dir, diff_id.split(":", 1)[-1] + ".json")

    def get(self, diff_id: str) -> LayerFacts | None:
        try:
            with open(self._path(diff_id), "rb") as f:
                d = json.loads(f.read())
            if d.get("version") != FACTS_VERSION or d.get("diff_id") != diff_id:
                return None
            return LayerFacts.from_dict(d)
        except (OSError, ValueError, KeyError, TypeError):
            return None   # missing or damaged: the layer is read again

    def put(self, facts: LayerFacts) -> None:
        os.makedirs(self.dir, exist_ok=True)
        path = self._path(facts.diff_id)
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(facts.to_dict(), f, separators=(",", ":"))
        os.replace(tmp, path)
