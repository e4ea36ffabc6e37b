"""Signatures kept with images in the local store, so they travel with push and save.

The signature images' manifests, configs and layers are blobs of the store, listed
in image_blobs under the image they sign (so the store's GC keeps them exactly as
long as the image), and found through one table of teu.db:

    trust_signatures  subject (the signed manifest digest), kind ("sig" | "att")
                      -> manifest (the signature image's manifest digest)

A new signature for the same subject adds a layer, like cosign's tag scheme: the
row then points at the new manifest. Everything is written in one transaction
after the blobs are in place: a failure leaves the store as it was.
"""

from __future__ import annotations

from teu.image.store import Store
from teu.trust import sigimage as S
from teu.trust.errors import TrustError

SCHEMA = ("CREATE TABLE IF NOT EXISTS trust_signatures(subject TEXT NOT NULL, "
          "kind TEXT NOT NULL, manifest TEXT NOT NULL, PRIMARY KEY(subject, kind))")


def _has_table(store: Store) -> bool:
    return store.db.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='trust_signatures'"
    ).fetchone() is not None


def image_for(store: Store, subject: str) -> str | None:
    """The ID of the store's image whose manifest (or index) is `subject`."""
    db = store.db
    found = db.image_by_manifest(subject)
    if found:
        return found
    r = db.conn.execute("SELECT image_id FROM repo_digests WHERE name LIKE ?",
                        (f"%@{subject}",)).fetchone()
    return r[0] if r else None


def _reader(store: Store):
    def read_blob(digest: str, size: int) -> bytes:
        if not store.blobs.exists(digest):
            raise TrustError(f"blob {digest} is missing from the store")
        return store.blobs.read(digest, verify=False)
    return read_blob


def manifest_of(store: Store, subject: str, kind: str = "sig") -> str | None:
    if not _has_table(store):
        return None
    r = store.db.conn.execute("SELECT manifest FROM trust_signatures WHERE subject=? AND "
                              "kind=?", (subject, kind)).fetchone()
    if r is None or not store.blobs.exists(r[0]):
        return None
    return r[0]


def load(store: Store, subject: str, kind: str = "sig") -> S.SignatureImage | None:
    manifest = manifest_of(store, subject, kind)
    if manifest is None:
        return None
    raw = store.blobs.read(manifest, verify=True)
    return S.load(raw, _reader(store), f"local {kind} of {subject}")


def attach(store: Store, subject: str, layers: list[S.Layer], kind: str = "sig") -> bool:
    """Add `layers` to the local signature image of `subject`; False if all were there.
    TrustError if the store has no image with that digest."""
    image_id = image_for(store, subject)
    if image_id is None:
        raise TrustError(f"no image with manifest {subject} in the store")
    img = load(store, subject, kind) or S.SignatureImage()
    if not any([img.add(x) for x in layers]):
        return False
    built = img.build()
    with store.lock():
        for data in built.blobs().values():
            store.blobs.put_bytes(data)
        store.blobs.put_bytes(built.manifest)
        with store.db.tx() as c:
            c.execute(SCHEMA)
            for dg in [*built.blobs(), built.digest]:
                c.execute("INSERT OR IGNORE INTO image_blobs VALUES(?,?)", (image_id, dg))
            c.execute("INSERT INTO trust_signatures VALUES(?,?,?) ON CONFLICT(subject, kind) "
                      "DO UPDATE SET manifest=excluded.manifest", (subject, kind, built.digest))
    return True


def raw_manifest(store: Store, subject: str, kind: str = "sig") -> bytes | None:
    manifest = manifest_of(store, subject, kind)
    return None if manifest is None else store.blobs.read(manifest, verify=True)
