"""Mark and sweep: delete blobs no manifest of any repository references.

Mark: every manifest revision of every repository, its config and layers
(image manifests) or child manifests (indexes); with delete_untagged, first
drop the manifests no tag reaches (distribution's --delete-untagged). Sweep: every other blob,
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
    untagged_removed: list[tuple[str, str]] = field(default_factory=list)
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


def _untagged(storage: Storage, repo: str) -> list[str]:
    """Manifests of `repo` that no tag reaches, directly, through an index, or as a referrer.

    Referrers (signatures, SBOMs) are untagged by nature: they live as long
    as their subject does.
    """
    kept: set[str] = set()
    todo = [d for t in storage.tags(repo) or [] if (d := storage.resolve_tag(repo, t))]
    while todo:
        digest = todo.pop()
        if digest in kept:
            continue
        kept.add(digest)
        m = storage.get_manifest(repo, digest)
        if m is not None:
            todo.extend(_references(m.content))
        todo.extend(r["digest"] for r in storage.referrers(repo, digest)
                    if isinstance(r.get("digest"), str))
    return [d for d in storage.iter_manifests(repo) if d not in kept]


def collect(storage: Storage, dry_run: bool = False, grace: float = 3600.0,
            delete_untagged: bool = False) -> GCResult:
    result = GCResult()
    repos = storage.repositories()
    if delete_untagged:
        for repo in repos:
            for digest in _untagged(storage, repo):
                result.untagged_removed.append((repo, digest))
                if not dry_run:
                    storage.delete_manifest(repo, digest)
    gone_manifests = set(result.untagged_removed)
    for repo in repos:
        for manifest in storage.iter_manifests(repo):
            if (repo, manifest) in gone_manifests:
                continue  # only in a dry run: the manifest is still on disk
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
