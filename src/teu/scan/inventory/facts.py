"""A layer's facts: what the layer scan found, as kept in the scan cache (JSON).

Light on purpose: a warm scan reads these from the cache and never imports the
parsers or the secret patterns (teu.scan.inventory.layerscan)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FACTS_VERSION = 3


@dataclass
class Item:
    """One file of interest in a layer and what it told."""
    path: str
    kind: str                               # os-release dpkg apk rpm python npm go
    packages: list[dict[str, Any]] = field(default_factory=list)
    os: dict[str, str] | None = None
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"path": self.path, "kind": self.kind}
        if self.packages:
            d["packages"] = self.packages
        if self.os:
            d["os"] = self.os
        if self.error:
            d["error"] = self.error
        return d


@dataclass
class LayerFacts:
    diff_id: str
    items: list[Item] = field(default_factory=list)
    whiteouts: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)
    secrets: list[dict[str, str]] = field(default_factory=list)
    files: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"version": FACTS_VERSION, "diff_id": self.diff_id, "files": self.files,
                "items": [i.to_dict() for i in self.items], "whiteouts": self.whiteouts,
                "opaque": self.opaque, "secrets": self.secrets}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LayerFacts:
        return cls(d["diff_id"], [Item(**i) for i in d["items"]], d["whiteouts"], d["opaque"],
                   d["secrets"], d.get("files", 0))
