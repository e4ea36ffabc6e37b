"""The engine's tables in <root>/teu.db (the image store's database; see teu.image.db).

    containers   one row per container: identity, the docker-shaped settings (JSON),
                 and its last known state. The state columns are a record, not the
                 truth: teu.engine.state reconciles them with the kernel (is the pid
                 still that process?) and with conmon's exit file before anyone reads them.
    volumes      named volumes (their data lives in <root>/volumes/<name>/_data)

`_sqlite3` is used directly: `import sqlite3` also imports datetime and friends,
~5 ms more on every `teu run`. Every write is one BEGIN IMMEDIATE transaction.
"""

from __future__ import annotations

import os

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS containers(
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      image_id TEXT NOT NULL,
      image TEXT NOT NULL,
      created REAL NOT NULL,
      settings TEXT NOT NULL,
      status TEXT NOT NULL,
      pid INTEGER NOT NULL DEFAULT 0,
      pid_start INTEGER,
      monitor_pid INTEGER NOT NULL DEFAULT 0,
      monitor_start INTEGER,
      started_at REAL,
      finished_at REAL,
      exit_code INTEGER,
      oom_killed INTEGER NOT NULL DEFAULT 0,
      restart_count INTEGER NOT NULL DEFAULT 0,
      stopped_by_user INTEGER NOT NULL DEFAULT 0,
      error TEXT,
      health TEXT)""",
    "CREATE INDEX IF NOT EXISTS containers_image ON containers(image_id)",
    """CREATE TABLE IF NOT EXISTS volumes(
      name TEXT PRIMARY KEY,
      driver TEXT NOT NULL DEFAULT 'local',
      created REAL NOT NULL,
      labels TEXT NOT NULL DEFAULT '{}',
      options TEXT NOT NULL DEFAULT '{}',
      anonymous INTEGER NOT NULL DEFAULT 0)""",
)

COLUMNS = ("id", "name", "image_id", "image", "created", "settings", "status", "pid",
           "pid_start", "monitor_pid", "monitor_start", "started_at", "finished_at",
           "exit_code", "oom_killed", "restart_count", "stopped_by_user", "error", "health")
_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM containers"


class Row(dict):
    """A containers row as a dict; `settings` stays JSON text until `.settings` is read."""

    @property
    def settings(self) -> dict:
        cached = self.get("_settings")
        if cached is None:
            from teu import fastjson

            cached = self["_settings"] = fastjson.loads(self["settings"])
        return cached


class DB:
    def __init__(self, path: str) -> None:
        import _sqlite3

        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.conn = _sqlite3.connect(path, timeout=60, isolation_level=None,
                                     check_same_thread=False)
        c = self.conn
        c.execute("PRAGMA busy_timeout=60000")
        if c.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='volumes'"
                     ).fetchone() is None:
            c.execute("PRAGMA journal_mode=WAL")
            self.begin()
            try:
                for stmt in SCHEMA:
                    c.execute(stmt)
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")
        c.execute("PRAGMA synchronous=NORMAL")

    def close(self) -> None:
        self.conn.close()

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - nothing to roll back
            pass

    def tx(self) -> _Tx:
        return _Tx(self)

    # -- containers ------------------------------------------------------------

    def _rows(self, where: str = "", args: tuple = ()) -> list[Row]:
        return [Row(zip(COLUMNS, r, strict=True)) for r in self.conn.execute(f"{_SELECT} {where}", args)]

    def get(self, cid: str) -> Row | None:
        rows = self._rows("WHERE id=?", (cid,))
        return rows[0] if rows else None

    def by_name(self, name: str) -> Row | None:
        rows = self._rows("WHERE name=?", (name,))
        return rows[0] if rows else None

    def with_prefix(self, prefix: str) -> list[Row]:
        return self._rows("WHERE id LIKE ? ESCAPE '\\'", (_like(prefix) + "%",))

    def all(self) -> list[Row]:
        return self._rows("ORDER BY created DESC")

    def insert(self, row: dict) -> None:
        cols = [c for c in COLUMNS if c in row]
        self.conn.execute(f"INSERT INTO containers({', '.join(cols)}) VALUES "
                          f"({', '.join('?' * len(cols))})", tuple(row[c] for c in cols))

    def update(self, cid: str, **values: object) -> None:
        if not values:
            return
        sets = ", ".join(f"{k}=?" for k in values)
        self.conn.execute(f"UPDATE containers SET {sets} WHERE id=?", (*values.values(), cid))

    def delete(self, cid: str) -> None:
        self.conn.execute("DELETE FROM containers WHERE id=?", (cid,))

    def names(self) -> set[str]:
        return {n for (n,) in self.conn.execute("SELECT name FROM containers")}

    # -- volumes ---------------------------------------------------------------

    def volume(self, name: str) -> dict | None:
        r = self.conn.execute("SELECT name, driver, created, labels, options, anonymous "
                              "FROM volumes WHERE name=?", (name,)).fetchone()
        return _volume(r) if r else None

    def volumes(self) -> list[dict]:
        return [_volume(r) for r in self.conn.execute(
            "SELECT name, driver, created, labels, options, anonymous FROM volumes "
            "ORDER BY name")]

    def insert_volume(self, name: str, created: float, labels: str, options: str,
                      anonymous: bool) -> bool:
        """False if the name exists already."""
        cur = self.conn.execute(
            "INSERT INTO volumes(name, created, labels, options, anonymous) VALUES(?,?,?,?,?) "
            "ON CONFLICT(name) DO NOTHING", (name, created, labels, options, int(anonymous)))
        return cur.rowcount == 1

    def delete_volume(self, name: str) -> None:
        self.conn.execute("DELETE FROM volumes WHERE name=?", (name,))


class _Tx:
    def __init__(self, db: DB) -> None:
        self.db = db

    def __enter__(self) -> DB:
        self.db.begin()
        return self.db

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.db.commit()
        else:
            self.db.rollback()


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _volume(r: tuple) -> dict:
    return {"name": r[0], "driver": r[1], "created": r[2], "labels": r[3], "options": r[4],
            "anonymous": bool(r[5])}
