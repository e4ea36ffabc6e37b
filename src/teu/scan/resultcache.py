"""Whole-scan results, cached: <root>/scan-cache/results/<sha256 of the key>.bin.

A scan's report depends only on the image (its ID: content-addressed, so its layers
and config cannot change under it), the vulnerability database's contents (each
import rewrites its source's row in `sources`, with the import time), the options
that shape the report (severities, --ignore-unfixed, the ignore file's IDs as read
today, the format) and this code's version. A warm `teu scan` of an unchanged image
against an unchanged database is then: open two SQLite files read-only, read one
small file, print. This module is on that path, so it imports only os, marshal,
SHA-256 and sqlite3 (no store, layers or SBOM code; not even json, whose import of
`re` costs more than the rest of the path).

The image is checked, not trusted: the entry records how the name was resolved (the
tag looked up, the ID prefix matched) and the same lookups are made again in the
store's index; any difference is a miss. An entry is the SHA-256 (hex) of its body,
then the body (marshal): the digest is checked before the body is decoded, so a
damaged entry is never decoded, only ignored (and rewritten by the full scan that
follows).
"""

from __future__ import annotations

import marshal
import os

try:   # CPython's own SHA-256: hashlib's import loads OpenSSL, ~4 ms of this path
    from _sha256 import sha256
except ImportError:   # Python 3.12 renamed it _sha2
    from hashlib import sha256

try:   # the C module itself: the `sqlite3` package adds datetime adapters (~4 ms) unused here
    import _sqlite3 as sqlite
except ImportError:
    import sqlite3 as sqlite

RESULT_VERSION = "1"   # bump when the report or the matching changes


def db_generation(db_path: str) -> str | None:
    """What identifies the database's contents: its schema version and every source's
    import row; None when it cannot be read (the full scan then says why)."""
    # mode=rw, not ro: both files are in WAL mode, and a read-only connection leaves an
    # empty -wal file behind; a read-write one that only reads removes it on close
    # (mode=rw never creates a missing file).
    if not os.path.isfile(db_path):
        return None
    try:
        conn = sqlite.connect(f"file:{db_path}?mode=rw", uri=True, timeout=60)
        try:
            meta = conn.execute("SELECT key, value FROM meta ORDER BY key").fetchall()
            rows = conn.execute("SELECT name, kind, imported, records, skipped, "
                                "COALESCE(origin, '') FROM sources ORDER BY name").fetchall()
        finally:
            conn.close()
    except sqlite.Error:
        return None
    return repr((meta, rows))


def severity_key(text: str | None) -> list[str] | None:
    """--severity as the key sees it (validated by the full scan, never here)."""
    if not text:
        return None
    return [s.strip().upper() for s in text.split(",") if s.strip()]


def make_key(version: str, root: str, name: str, db_path: str, db_gen: str,
             severities: list[str] | None, ignore_unfixed: bool, ignored: set[str],
             fmt: str) -> str:
    """The key as text (repr of str, bool, list and None is stable across runs)."""
    return repr((("version", version, RESULT_VERSION), ("root", root), ("image", name),
                 ("db", os.path.abspath(db_path), db_gen), ("severity", severities),
                 ("ignore_unfixed", bool(ignore_unfixed)), ("ignored", sorted(ignored)),
                 ("format", fmt)))


def resolution(name: str) -> dict | None:
    """How the store resolves `name` (teu.image.store.Store.resolve_id's order): the tag
    it looks up first, then the ID prefix. None for digest references (not cached)."""
    from teu.image import reference as R

    try:
        ref = R.parse(name, default_tag=False)
    except R.ReferenceError:
        ref = None
    if ref is not None and ref.digest:
        return None
    prefix = None
    if R.looks_like_id(name):
        prefix = name[7:] if name.startswith("sha256:") else name
    if ref is None and prefix is None:
        return None
    return {"tag": str(ref.tagged_or_latest()) if ref is not None else None, "prefix": prefix}


def still_resolves(store_root: str, how: dict, image_id: str) -> bool:
    """Does the store's index still resolve the name to `image_id`, the same way?"""
    path = os.path.join(store_root, "teu.db")
    if not os.path.isfile(path):
        return False
    try:
        conn = sqlite.connect(f"file:{path}?mode=rw", uri=True, timeout=60)
        try:
            tag, prefix = how.get("tag"), how.get("prefix")
            if tag:
                r = conn.execute("SELECT image_id FROM tags WHERE name=?", (tag,)).fetchone()
                if r:
                    return r[0] == image_id
            if prefix:
                ids = [i for (i,) in conn.execute(
                    "SELECT id FROM images WHERE id LIKE ? ESCAPE '\\'", (f"sha256:{prefix}%",))]
                return ids == [image_id]
            return False
        finally:
            conn.close()
    except sqlite.Error:
        return False


class ResultCache:
    def __init__(self, store_root: str) -> None:
        self.dir = os.path.join(store_root, "scan-cache", "results")

    def path(self, key: str) -> str:
        return os.path.join(self.dir, sha256(key.encode()).hexdigest() + ".bin")

    def get(self, key: str) -> dict | None:
        """The entry's body (image_id, how, output, warnings, findings) or None when it is
        missing, for another key, or damaged in any way."""
        try:
            with open(self.path(key), "rb") as f:
                data = f.read()
            digest, raw = data[:64], data[64:]
            if digest != sha256(raw).hexdigest().encode():
                return None
            body = marshal.loads(raw)
            if (not isinstance(body, dict) or body.get("key") != key
                    or not isinstance(body.get("output"), str)
                    or not isinstance(body.get("image_id"), str)
                    or not isinstance(body.get("how"), dict)
                    or not isinstance(body.get("warnings"), list)
                    or not all(isinstance(w, str) for w in body["warnings"])
                    or not isinstance(body.get("findings"), int)):
                return None
            return body
        except (OSError, ValueError, EOFError, KeyError, TypeError):
            return None

    def put(self, key: str, image_id: str, how: dict, output: str, warnings: list[str],
            findings: int) -> None:
        body = {"key": key, "image_id": image_id, "how": how, "output": output,
                "warnings": warnings, "findings": findings}
        os.makedirs(self.dir, exist_ok=True)
        path = self.path(key)
        tmp = f"{path}.tmp-{os.getpid()}"
        raw = marshal.dumps(body, 4)
        with open(tmp, "wb") as f:
            f.write(sha256(raw).hexdigest().encode() + raw)
        os.replace(tmp, path)
