"""The image index: SQLite in WAL mode, in <root>/teu.db (shared with other teu parts).

    images        id (config digest) -> manifest digest, created, size, platform
    image_blobs   every blob an image holds (indexes, manifests, config, layers): GC roots
    image_layers  the image's layers in order: chain ID, diff ID, blob, media type
    layers        unpacked layers present under layers/<chain-id>: size, parent
    tags          "docker.io/library/busybox:latest" -> image id
    repo_digests  "docker.io/library/busybox@sha256:..." -> image id
    blob_sources  blob digest -> "registry/repository" it was pulled from or pushed to
                  (what a push mounts across repositories from)

Every change is one transaction (BEGIN IMMEDIATE, so two writers queue on the
lock instead of failing halfway); readers never see half an image.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS images(
  id TEXT PRIMARY KEY, manifest TEXT NOT NULL, media_type TEXT NOT NULL,
  created TEXT, added REAL NOT NULL, size INTEGER NOT NULL DEFAULT 0,
  os TEXT, architecture TEXT, variant TEXT);
CREATE TABLE IF NOT EXISTS image_blobs(
  image_id TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY(image_id, digest));
CREATE INDEX IF NOT EXISTS image_blobs_digest ON image_blobs(digest);
CREATE TABLE IF NOT EXISTS image_layers(
  image_id TEXT NOT NULL, idx INTEGER NOT NULL, chain_id TEXT NOT NULL, diff_id TEXT NOT NULL,
  blob TEXT NOT NULL, media_type TEXT NOT NULL, PRIMARY KEY(image_id, idx));
CREATE INDEX IF NOT EXISTS image_layers_chain ON image_layers(chain_id);
CREATE TABLE IF NOT EXISTS layers(
  chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL, parent TEXT, size INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tags(name TEXT PRIMARY KEY, image_id TEXT NOT NULL, added REAL);
CREATE INDEX IF NOT EXISTS tags_image ON tags(image_id);
CREATE TABLE IF NOT EXISTS repo_digests(name TEXT PRIMARY KEY, image_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS repo_digests_image ON repo_digests(image_id);
CREATE TABLE IF NOT EXISTS blob_sources(
  digest TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY(digest, source));
"""


@dataclass
class LayerRow:
    chain_id: str
    diff_id: str
    blob: str
    media_type: str
    size: int = 0


@dataclass
class ImageRow:
    id: str
    manifest: str
    media_type: str
    created: str | None
    added: float
    size: int
    os: str | None = None
    architecture: str | None = None
    variant: str | None = None
    tags: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)


class DB:
    def __init__(self, root: str) -> None:
        import sqlite3

        os.makedirs(root, exist_ok=True)
        self.path = os.path.join(root, "teu.db")
        self.conn = sqlite3.connect(self.path, timeout=60, isolation_level=None,
                                    check_same_thread=False)
        self.read_only = False
        probe = "SELECT 1 FROM sqlite_master WHERE type='table' AND name='blob_sources'"
        try:
            self.conn.execute("PRAGMA busy_timeout=60000")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            have_schema = self.conn.execute(probe).fetchone() is not None
        except sqlite3.OperationalError:
            # A full disk: WAL mode cannot even make its shared-memory file. Reading
            # the database file as it is still lets `teu images` and friends answer
            # (no writer can be running then: it would need the same space).
            self.conn.close()
            self.conn = sqlite3.connect(f"file:{self.path}?immutable=1", uri=True,
                                        isolation_level=None, check_same_thread=False)
            self.read_only = True
            have_schema = self.conn.execute(probe).fetchone() is not None
            if not have_schema:
                raise
        # Create the schema only when it is missing: on a full disk even a no-op DDL fails.
        if not have_schema:
            self.conn.execute("PRAGMA journal_mode=WAL")
            with self.tx():
                for stmt in SCHEMA.split(";"):
                    if stmt.strip():
                        self.conn.execute(stmt)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def tx(self) -> Iterator[Any]:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            yield c
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")

    # -- reads ---------------------------------------------------------------

    def _row(self, r: tuple) -> ImageRow:
        return ImageRow(*r)

    _COLS = "id, manifest, media_type, created, added, size, os, architecture, variant"

    def image(self, image_id: str) -> ImageRow | None:
        r = self.conn.execute(f"SELECT {self._COLS} FROM images WHERE id=?",
                              (image_id,)).fetchone()
        if r is None:
            return None
        row = self._row(r)
        self._names(row)
        return row

    def _names(self, row: ImageRow) -> None:
        row.tags = [n for (n,) in self.conn.execute(
            "SELECT name FROM tags WHERE image_id=? ORDER BY added, name", (row.id,))]
        row.digests = [n for (n,) in self.conn.execute(
            "SELECT name FROM repo_digests WHERE image_id=? ORDER BY name", (row.id,))]

    def images(self) -> list[ImageRow]:
        rows = [self._row(r) for r in self.conn.execute(
            f"SELECT {self._COLS} FROM images ORDER BY added DESC")]
        tags: dict[str, list[str]] = {}
        for name, iid in self.conn.execute("SELECT name, image_id FROM tags ORDER BY added, name"):
            tags.setdefault(iid, []).append(name)
        digests: dict[str, list[str]] = {}
        for name, iid in self.conn.execute("SELECT name, image_id FROM repo_digests ORDER BY name"):
            digests.setdefault(iid, []).append(name)
        for row in rows:
            row.tags = tags.get(row.id, [])
            row.digests = digests.get(row.id, [])
        return rows

    def ids_with_prefix(self, prefix: str) -> list[str]:
        return [i for (i,) in self.conn.execute(
            "SELECT id FROM images WHERE id LIKE ? ESCAPE '\\'", (f"sha256:{prefix}%",))]

    def tag(self, name: str) -> str | None:
        r = self.conn.execute("SELECT image_id FROM tags WHERE name=?", (name,)).fetchone()
        return r[0] if r else None

    def repo_digest(self, name: str) -> str | None:
        r = self.conn.execute("SELECT image_id FROM repo_digests WHERE name=?",
                              (name,)).fetchone()
        return r[0] if r else None

    def image_by_manifest(self, manifest: str) -> str | None:
        r = self.conn.execute("SELECT id FROM images WHERE manifest=?", (manifest,)).fetchone()
        return r[0] if r else None

    def layers_of(self, image_id: str) -> list[LayerRow]:
        return [LayerRow(c, d, b, m, s or 0) for c, d, b, m, s in self.conn.execute(
            "SELECT il.chain_id, il.diff_id, il.blob, il.media_type, l.size FROM image_layers il "
            "LEFT JOIN layers l ON l.chain_id = il.chain_id WHERE il.image_id=? ORDER BY idx",
            (image_id,))]

    def layer(self, chain_id: str) -> tuple[str, int] | None:
        r = self.conn.execute("SELECT diff_id, size FROM layers WHERE chain_id=?",
                              (chain_id,)).fetchone()
        return (r[0], r[1]) if r else None

    def blob_sources(self, digest: str) -> list[str]:
        return [s for (s,) in self.conn.execute(
            "SELECT source FROM blob_sources WHERE digest=?", (digest,))]

    def referenced_blobs(self) -> set[str]:
        return {d for (d,) in self.conn.execute("SELECT DISTINCT digest FROM image_blobs")}

    def referenced_layers(self) -> set[str]:
        return {c for (c,) in self.conn.execute("SELECT DISTINCT chain_id FROM image_layers")}

    # -- writes (call inside tx()) ---------------------------------------------

    def put_image(self, c: Any, row: ImageRow, layers: list[LayerRow],
                  blobs: list[str]) -> None:
        c.execute(
            "INSERT INTO images(id, manifest, media_type, created, added, size, os, "
            "architecture, variant) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
            "manifest=excluded.manifest, media_type=excluded.media_type",
            (row.id, row.manifest, row.media_type, row.created, row.added, row.size, row.os,
             row.architecture, row.variant))
        c.execute("DELETE FROM image_layers WHERE image_id=?", (row.id,))
        parent = None
        for i, layer in enumerate(layers):
            c.execute("INSERT INTO image_layers VALUES(?,?,?,?,?,?)",
                      (row.id, i, layer.chain_id, layer.diff_id, layer.blob, layer.media_type))
            c.execute("INSERT INTO layers(chain_id, diff_id, parent, size) VALUES(?,?,?,?) "
                      "ON CONFLICT(chain_id) DO NOTHING",
                      (layer.chain_id, layer.diff_id, parent, layer.size))
            parent = layer.chain_id
        for dg in blobs:
            c.execute("INSERT OR IGNORE INTO image_blobs VALUES(?,?)", (row.id, dg))

    def set_tag(self, c: Any, name: str, image_id: str) -> str | None:
        """Point `name` at `image_id`; returns the image it pointed at before, if another."""
        r = c.execute("SELECT image_id FROM tags WHERE name=?", (name,)).fetchone()
        c.execute("INSERT INTO tags(name, image_id, added) VALUES(?,?,?) ON CONFLICT(name) "
                  "DO UPDATE SET image_id=excluded.image_id, added=excluded.added",
                  (name, image_id, time.time()))
        return r[0] if r and r[0] != image_id else None

    def set_repo_digest(self, c: Any, name: str, image_id: str) -> None:
        c.execute("INSERT INTO repo_digests(name, image_id) VALUES(?,?) ON CONFLICT(name) "
                  "DO UPDATE SET image_id=excluded.image_id", (name, image_id))

    def add_blob_source(self, c: Any, digest: str, source: str) -> None:
        c.execute("INSERT OR IGNORE INTO blob_sources VALUES(?,?)", (digest, source))

    def delete_image(self, c: Any, image_id: str) -> None:
        for table, col in (("images", "id"), ("image_blobs", "image_id"),
                           ("image_layers", "image_id"), ("tags", "image_id"),
                           ("repo_digests", "image_id")):
            c.execute(f"DELETE FROM {table} WHERE {col}=?", (image_id,))
