"""Garbage collection: delete the blobs and layers that no image references.

Runs under the store's exclusive lock (Store.gc), so no pull or load is
between writing a blob and registering the image that holds it. Roots are
the image_blobs and image_layers tables; everything else under blobs/ and
layers/ is garbage. A full collection also sweeps what killed commands left:
partial downloads (unless another process holds their lock) and half
unpacked layer directories.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from teu.image.store import Store


def collect(store: Store, full: bool = False) -> int:
    db = store.db
    freed = 0
    keep_blobs = db.referenced_blobs() | _build_cache_blobs(db)
    for digest in list(store.blobs.list()):
        if digest not in keep_blobs:
            size = store.blobs.size(digest) or 0
            if store.blobs.delete(digest):
                freed += size
    keep_layers = db.referenced_layers()
    for chain_id in store.layers.list():
        if chain_id not in keep_layers:
            row = db.layer(chain_id)
            if store.layers.remove(chain_id):
                freed += row[1] if row else 0
    with db.tx() as c:
        c.execute("DELETE FROM layers WHERE chain_id NOT IN "
                  "(SELECT DISTINCT chain_id FROM image_layers)")
        c.execute("DELETE FROM blob_sources WHERE digest NOT IN "
                  "(SELECT DISTINCT digest FROM image_blobs)")
    if full:
        freed += _sweep_partials(store)
        store.layers.clean_stale()
    return freed


def _build_cache_blobs(db) -> set[str]:  # noqa: ANN001
    """Layer blobs of teu build's step cache (teu.build's build_cache table, if any):
    like docker's, an image prune keeps the build cache (`teu builder prune` clears it);
    the unpacked directories may go, a cache hit unpacks the blob again."""
    import json

    try:
        rows = db.conn.execute("SELECT layer FROM build_cache WHERE layer IS NOT NULL")
    except Exception:  # noqa: BLE001 - no build ever ran in this store
        return set()
    out = set()
    for (layer,) in rows:
        try:
            out.add(json.loads(layer)["blob"])
        except (ValueError, KeyError, TypeError):
            continue
    return out


def _sweep_partials(store: Store) -> int:
    import fcntl

    freed = 0
    for path in store.blobs.partials():
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a download in progress
            freed += os.fstat(fd).st_size
            os.unlink(path)
        finally:
            os.close(fd)
    return freed
