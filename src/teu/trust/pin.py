"""Digest pinning: `teu run --pin IMAGE:TAG` (or TEU_PIN=1) records REPOSITORY@DIGEST.

A tag can be moved (the `latest` mistake); a digest cannot. The container is made
from, and records, the digest the tag named at that moment: the registry manifest
digest it was pulled by (an index's, for a multi-platform image), else the stored
manifest's. The trust policy then judges the digest reference (a policy scope may
name REPOSITORY@DIGEST).
"""

from __future__ import annotations

import os


def wanted(opts: dict) -> bool:
    return bool(opts.get("pin")) or os.environ.get("TEU_PIN", "") in ("1", "true")


def pin(root: str, text: str, image_id: str) -> str:
    """`text` as NAME@DIGEST for the stored image `image_id` (unchanged if it is a
    digest reference already, or an image ID with no name)."""
    from teu.image import reference as R
    from teu.image.store import Store

    if "@" in text:
        return text
    try:
        ref = R.parse(text)
    except R.ReferenceError:
        ref = None
    with Store(root) as store:
        row = store.db.image(image_id)
        if row is None:
            return text
        if ref is None or R.looks_like_id(text):
            names = row.tags or [d.split("@", 1)[0] for d in row.digests]
            if not names:
                return text
            ref = R.parse(names[0])
        digest = next((d.split("@", 1)[1] for d in row.digests
                       if d.split("@", 1)[0] == ref.repository), row.manifest)
    return f"{ref.familiar_name}@{digest}"
