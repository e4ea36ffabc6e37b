"""Mark and sweep: delete blobs no manifest of any repository references.

Mark: every manifest revision of every repository, its config and layers
(image manifests) or child manifests (indexes). Sweep: every other blob,
and the repository links to it. Blobs younger than `grace` seconds are kept:
a push in progress has blobs no manifest references yet, and a collector
that races it must not delete them (distribution asks you to stop writes
instead; teu keeps recent blobs so a gc can run beside a live server).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from teu.oci import digest as D
from teu.registry.server.storage.base import Storage


@dataclass
class GCResult:
    marked: set[str] = field(default_factory=set)
    deleted: list[str] = field(default_factory=list)
    kept_young: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    links_removed: int = 0


def _references(content: bytes) -> list[str]:
    try:
        doc = json.loads(content)
    except ValueError:
        return []
    if not isinstance(doc, dict):
        return []
    out = []
    for key in ("config",):
        d = doc.get(key)
        if isinstance(d, dict) and isinstance(d.get("digest"), str):
            out.append(d["digest"])
    for key in ("layers", "manifests"):
        for d in doc.get(key) or []:
            if isinstance(d, dict) and isinstance(d.get("digest"), str):
                out.append(d["digest"])
    return [d for d in out if D.is_valid(d)]


def collect(storage: Storage, dry_run: bool = False, grace: float = 3600.0) -> GCResult:
    result = GCResult()
    repos = storage.repositories()
    for repo in repos:
        for manifest in storage.iter_manifests(repo):
            m = storage.get_manifest(repo, manifest)
            if m is None:
                continue
            result.marked.add(manifest)
            result.marked.update(_references(m.content))
    for blob in list(storage.iter_blobs()):
        if blob in result.marked:
            continue
        if storage.blob_age(blob) < grace:
            result.kept_young.append(blob)
            continue
        result.freed_bytes += storage.blob_size(blob) or 0
        result.deleted.append(blob)
        if not dry_run:
            storage.delete_blob(blob)
    gone = set(result.deleted)
    for repo in repos:
        for blob in list(storage.iter_repo_blobs(repo)):
            if blob in gone:
                result.links_removed += 1
                if not dry_run:
                    storage.unlink_blob(repo, blob)
    return result
