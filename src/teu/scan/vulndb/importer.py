"""`teu scan db import FILE|DIR|URL`: OSV records and the Debian tracker's JSON, loaded in
one transaction. A file that does not parse (corrupt, truncated) aborts the whole
import and the database stays as it was; a record of an unknown shape is skipped
and counted. A directory is read recursively (*.json), a zip (OSV's all.zip) by
its *.json members, a URL downloaded to a temporary file first.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from teu.scan.errors import DBError
from teu.scan.vulndb import debian, osv
from teu.scan.vulndb.db import open_db

OSV, TRACKER = "osv", "debian-tracker"
_MAX_FILE = 2 << 30


@dataclass
class ImportResult:
    records: dict[str, int] = field(default_factory=dict)   # source -> records stored
    skipped_by: dict[str, int] = field(default_factory=dict)  # source -> records skipped
    files: int = 0

    @property
    def skipped(self) -> int:
        return sum(self.skipped_by.values())


def _files(path: str) -> Iterator[tuple[str, bytes]]:
    if os.path.isdir(path):
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(".json") or name.endswith(".zip"):
                    yield from _files(os.path.join(dirpath, name))
        return
    if os.path.getsize(path) > _MAX_FILE:
        raise DBError(f"{path}: larger than {_MAX_FILE >> 30} GiB, refused")
    with open(path, "rb") as f:
        head = f.read(4)
        f.seek(0)
        if head == b"PK\x03\x04":
            import zipfile

            try:
                with zipfile.ZipFile(f) as z:
                    for info in z.infolist():
                        if info.filename.endswith(".json") and not info.is_dir():
                            yield f"{path}:{info.filename}", z.read(info)
            except (zipfile.BadZipFile, EOFError, OSError) as e:
                raise DBError(f"{path}: damaged zip ({e}); the database was left as it was"
                              ) from None
            return
        yield path, f.read()


def _download(url: str, into: str) -> str:
    import urllib.error
    import urllib.request

    os.makedirs(into)
    path = os.path.join(into, os.path.basename(url.split("?")[0]) or "download")
    try:
        with urllib.request.urlopen(url, timeout=60) as r, open(path, "wb") as out:  # noqa: S310
            while chunk := r.read(1 << 20):
                out.write(chunk)
    except urllib.error.HTTPError as e:
        raise DBError(f"{url}: HTTP {e.code} {e.reason}") from None
    except OSError as e:
        raise DBError(f"{url}: {getattr(e, 'reason', None) or e}") from None
    return path


def import_inputs(db_path: str, inputs: list[str]) -> ImportResult:
    conn = open_db(db_path, create=True)
    result = ImportResult()
    try:
        with tempfile.TemporaryDirectory(prefix="teu-scan-import-") as tmp:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cleared: set[str] = set()
                for n, item in enumerate(inputs):
                    path = item
                    if "://" in item:
                        if not item.startswith(("http://", "https://")):
                            raise DBError(f"{item}: only http and https URLs are read")
                        path = _download(item, os.path.join(tmp, str(n)))
                    elif not os.path.exists(item):
                        raise DBError(f"{item}: no such file or directory")
                    for origin, raw in _files(path):
                        result.files += 1
                        _import_file(conn, origin, raw, result, cleared)
                now = time.time()
                for source in sorted(set(result.records) | set(result.skipped_by)):
                    count = result.records.get(source, 0)
                    conn.execute(
                        "INSERT INTO sources(name, kind, imported, records, skipped, origin) "
                        "VALUES(?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET "
                        "imported=excluded.imported, records=(SELECT COUNT(*) FROM vulns WHERE "
                        "source=excluded.name), skipped=excluded.skipped, origin=excluded.origin",
                        (source, source, now, count, result.skipped_by.get(source, 0),
                         ", ".join(inputs)[:500]))
                    conn.execute("UPDATE sources SET records=(SELECT COUNT(*) FROM vulns WHERE "
                                 "source=?) WHERE name=?", (source, source))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    except sqlite3.DatabaseError as e:
        raise DBError(f"{db_path}: {e}; the database was left as it was") from None
    finally:
        conn.close()
    return result


def _import_file(conn: sqlite3.Connection, origin: str, raw: bytes, result: ImportResult,
                 cleared: set[str]) -> None:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise DBError(f"{origin}: not valid JSON ({e}); the database was left as it was"
                      ) from None
    if debian.looks_like_tracker(doc):
        if TRACKER not in cleared:
            # The tracker's JSON is a whole snapshot: it replaces the previous one.
            conn.execute("DELETE FROM vulns WHERE source=?", (TRACKER,))
            conn.execute("DELETE FROM affected WHERE source=?", (TRACKER,))
            cleared.add(TRACKER)
        for rec in debian.records(doc):
            _store(conn, TRACKER, rec, result)
        return
    records = doc if isinstance(doc, list) else [doc]
    for rec in records:
        _store(conn, OSV, osv.rows(rec), result)


def _store(conn: sqlite3.Connection, source: str, rec: tuple | None,
           result: ImportResult) -> None:
    if rec is None:
        result.skipped_by[source] = result.skipped_by.get(source, 0) + 1
        return
    vuln, affected = rec
    vid = vuln[0]
    conn.execute("DELETE FROM affected WHERE vuln=? AND source=?", (vid, source))
    conn.execute("INSERT OR REPLACE INTO vulns VALUES(?,?,?,?,?,?,?,?)",
                 (vid, source, *vuln[2:]))
    conn.executemany("INSERT INTO affected VALUES(?,?,?,?,?,?,?,?,?)",
                     [(a[0], source, *a[2:]) for a in affected])
    result.records[source] = result.records.get(source, 0) + 1
