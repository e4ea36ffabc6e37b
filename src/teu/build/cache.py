"""The step cache: a step's key -> the layer it made, in teu.db's build_cache table.

A key is the sha256 of the parent's key and of what decides the step's result:
the instruction with its arguments and environment expanded, and for COPY/ADD
and bind mounts the list of the files read with their content digests (not
their mtimes). So a changed file invalidates from the first step that reads it,
and nothing before. An entry whose layer is gone from the store (removed with
its image) and cannot be unpacked from its blob again is a miss.
"""

from __future__ import annotations

import _sqlite3  # not sqlite3: it imports datetime and more (as teu.engine.db)
import os
import time

from teu import fastjson
from teu.build.layers import LayerRef
from teu.oci import digest as D

try:
    import _json

    # json.dumps(v, sort_keys=True, default=str) is this C encoder with these arguments;
    # called directly, `import json` (and its decoder, scanner, encoder) is not needed.
    _encode = _json.make_encoder(None, str, _json.encode_basestring_ascii, None, ": ", ", ",
                                 True, False, True)
except ImportError:  # another Python without the accelerator
    _encode = None

SCHEMA = """
CREATE TABLE IF NOT EXISTS build_cache(
  key TEXT PRIMARY KEY, layer TEXT, created TEXT NOT NULL, used REAL NOT NULL);
"""


# When an entry was last used is kept to the minute: a rebuild within a minute of the
# last one writes nothing (a transaction at the end costs a WAL write, or more).
USED_RESOLUTION = 60.0


def canonical(value: object) -> str:
    """json.dumps(value, sort_keys=True, default=str): the same text, byte for byte."""
    if _encode is None:
        import json

        return json.dumps(value, sort_keys=True, default=str)
    return "".join(_encode(value, 0))


def key(*parts: object) -> str:
    data = canonical(parts).encode()
    h = D.sha256(len(data))
    h.update(data)
    return h.hexdigest()


class Cache:
    def __init__(self, root: str) -> None:
        os.makedirs(root, exist_ok=True)
        self.db = _sqlite3.connect(os.path.join(root, "teu.db"), timeout=30,
                                  isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._hits: list[str] = []

    def close(self) -> None:
        """Record when the entries used were last used: one transaction (each write of
        its own would cost a WAL sync per cache hit)."""
        if self._hits:
            now = time.time()
            try:
                self.db.execute("BEGIN")
                self.db.executemany("UPDATE build_cache SET used=? WHERE key=?",
                                    [(now, k) for k in self._hits])
                self.db.execute("COMMIT")
            except _sqlite3.Error:
                pass
        self.db.close()

    def get(self, k: str) -> tuple[LayerRef | None, str] | None:
        """(layer or None for a step without one, created) or None if unknown."""
        row = self.db.execute("SELECT layer, created, used FROM build_cache WHERE key=?",
                              (k,)).fetchone()
        if row is None:
            return None
        if time.time() - row[2] > USED_RESOLUTION:
            self._hits.append(k)
        layer = LayerRef.from_json(fastjson.loads(row[0])) if row[0] else None
        return layer, row[1]

    def put(self, k: str, layer: LayerRef | None, created: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO build_cache VALUES(?,?,?,?)",
                        (k, fastjson.dumps(layer.to_json()) if layer else None, created,
                         time.time()))

    def forget(self, k: str) -> None:
        self.db.execute("DELETE FROM build_cache WHERE key=?", (k,))

    def clear(self) -> int:
        n = self.db.execute("SELECT COUNT(*) FROM build_cache").fetchone()[0]
        self.db.execute("DELETE FROM build_cache")
        return n

    def entries(self) -> list[tuple[str, LayerRef | None, str]]:
        rows = self.db.execute("SELECT key, layer, created FROM build_cache").fetchall()
        return [(r[0], LayerRef.from_json(fastjson.loads(r[1])) if r[1] else None, r[2])
                for r in rows]
