"""The vulnerability database's schema and its opening.

    meta      key -> value (schema version)
    sources   one row per imported source: kind, when, records, skipped, where from
    vulns     (id, source) -> summary, severity, aliases, withdrawn, modified, source
    affected  (vuln, ecosystem, release, package) -> ranges and versions (OSV's shape),
              status and urgency (the tracker's), one row per affected package entry

Ecosystem names are OSV's ("Debian", "Alpine", "PyPI", "npm", "Go", "Rocky Linux");
release is the distribution release ("12", "3.19"; "" for language ecosystems);
package names are as the ecosystem keys advisories (Debian: the source package;
PyPI: normalized). The path: --db, $TEU_SCAN_DB, else <store root>/scan/vuln.db.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass

from teu.scan.errors import DBError
from teu.scan.vulndb.paths import default_path  # noqa: F401  (re-exported)

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources(name TEXT PRIMARY KEY, kind TEXT NOT NULL,
  imported REAL NOT NULL, records INTEGER NOT NULL, skipped INTEGER NOT NULL, origin TEXT);
CREATE TABLE IF NOT EXISTS vulns(id TEXT NOT NULL, source TEXT NOT NULL, summary TEXT,
  severity TEXT, aliases TEXT, withdrawn TEXT, modified TEXT, refs TEXT,
  PRIMARY KEY(id, source));
CREATE TABLE IF NOT EXISTS affected(vuln TEXT NOT NULL, source TEXT NOT NULL,
  ecosystem TEXT NOT NULL, release TEXT NOT NULL, package TEXT NOT NULL,
  ranges TEXT, versions TEXT, status TEXT, urgency TEXT);
CREATE INDEX IF NOT EXISTS affected_pkg ON affected(ecosystem, release, package);
CREATE INDEX IF NOT EXISTS affected_vuln ON affected(vuln);
"""


def open_db(path: str, create: bool = False) -> sqlite3.Connection:
    """The database at `path`; DBError if it is missing (unless `create`) or corrupt."""
    if not create and not os.path.exists(path):
        raise DBError(f"no vulnerability database at {path}: run `teu scan db import FILE` "
                      "or `teu scan db pull REF` first")
    if create:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=60000")
        version = None
        has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone()
        if has_meta:
            r = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            version = r[0] if r else None
        if version is None:
            if not create:
                raise DBError(f"{path}: not a teu vulnerability database")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
            conn.execute("INSERT OR REPLACE INTO meta VALUES('schema', ?)", (SCHEMA_VERSION,))
        elif version != SCHEMA_VERSION:
            raise DBError(f"{path}: database schema {version}, this teu reads "
                          f"{SCHEMA_VERSION}: import the data again")
        return conn
    except sqlite3.DatabaseError as e:
        raise DBError(f"{path}: the vulnerability database is damaged ({e}); import or pull "
                      "it again") from None


@dataclass
class SourceStatus:
    name: str
    kind: str
    imported: float
    records: int
    skipped: int
    origin: str

    def age(self, now: float | None = None) -> str:
        s = int((now or time.time()) - self.imported)
        for unit, n in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if s >= n:
                return f"{s // n} {unit}{'s' if s // n > 1 else ''}"
        return f"{s} seconds"


def status(conn: sqlite3.Connection) -> tuple[list[SourceStatus], dict[str, int]]:
    sources = [SourceStatus(*r) for r in conn.execute(
        "SELECT name, kind, imported, records, skipped, COALESCE(origin, '') FROM sources "
        "ORDER BY name")]
    counts = {
        "vulnerabilities": conn.execute("SELECT COUNT(*) FROM vulns").fetchone()[0],
        "withdrawn": conn.execute("SELECT COUNT(*) FROM vulns WHERE withdrawn IS NOT NULL"
                                  ).fetchone()[0],
        "affected packages": conn.execute("SELECT COUNT(*) FROM affected").fetchone()[0],
    }
    return sources, counts
