"""The pods table in <root>/teu.db: one row per pod (its infra container is a row of
`containers`, its members are containers whose settings name the pod)."""

from __future__ import annotations

from teu import fastjson
from teu.engine.db import DB
from teu.engine.errors import NotFound

SCHEMA = """CREATE TABLE IF NOT EXISTS pods(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created REAL NOT NULL,
  infra_id TEXT NOT NULL DEFAULT '',
  settings TEXT NOT NULL)"""


class Pod:
    """A pod's record. `settings`: Hostname, Labels, Share (namespaces), the infra's
    network options (Network, Publish, ...) and CreateCommand. A plain class, not a
    dataclass: the one-shot prober (teu.engine.pods.prober) loads it at every due
    probe, and `dataclasses` costs ~35 ms of import."""

    __slots__ = ("id", "name", "created", "infra_id", "settings")

    def __init__(self, id: str, name: str, created: float, infra_id: str,  # noqa: A002
                 settings: dict | None = None) -> None:
        self.id, self.name, self.created, self.infra_id = id, name, created, infra_id
        self.settings = settings if settings is not None else {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pod) and all(getattr(self, k) == getattr(other, k)
                                              for k in self.__slots__)

    def __repr__(self) -> str:
        return f"Pod(id={self.id!r}, name={self.name!r})"

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.settings.get("Labels") or {})


def _ensure(db: DB) -> None:
    # Not in teu.engine.db's SCHEMA: roots made before pods existed get the table here.
    if getattr(db, "_pods_ready", False):
        return
    db.conn.execute(SCHEMA)
    db._pods_ready = True  # type: ignore[attr-defined]


def _pod(r: tuple) -> Pod:
    return Pod(r[0], r[1], r[2], r[3], fastjson.loads(r[4]))


_SELECT = "SELECT id, name, created, infra_id, settings FROM pods"


def all_pods(db: DB) -> list[Pod]:
    _ensure(db)
    return [_pod(r) for r in db.conn.execute(f"{_SELECT} ORDER BY created DESC")]


def get(db: DB, pid: str) -> Pod | None:
    _ensure(db)
    r = db.conn.execute(f"{_SELECT} WHERE id=?", (pid,)).fetchone()
    return _pod(r) if r else None


def find(db: DB, ref: str) -> Pod:
    """A pod by full ID, name, or unique ID prefix (podman's order)."""
    _ensure(db)
    r = db.conn.execute(f"{_SELECT} WHERE id=? OR name=?", (ref, ref)).fetchone()
    if r is None and ref and all(c in "0123456789abcdef" for c in ref):
        rows = db.conn.execute(f"{_SELECT} WHERE id LIKE ?", (ref + "%",)).fetchall()
        if len(rows) > 1:
            raise NotFound(f"more than one result for pod ID {ref}")
        r = rows[0] if rows else None
    if r is None:
        raise NotFound(f"no pod with name or ID {ref} found: no such pod")
    return _pod(r)


def insert(db: DB, pod: Pod) -> bool:
    """False if the name is taken."""
    _ensure(db)
    cur = db.conn.execute(
        "INSERT INTO pods(id, name, created, infra_id, settings) VALUES(?,?,?,?,?) "
        "ON CONFLICT DO NOTHING",
        (pod.id, pod.name, pod.created, pod.infra_id, fastjson.dumps(pod.settings)))
    return cur.rowcount == 1


def set_infra(db: DB, pid: str, infra_id: str) -> None:
    db.conn.execute("UPDATE pods SET infra_id=? WHERE id=?", (infra_id, pid))


def delete(db: DB, pid: str) -> None:
    _ensure(db)
    db.conn.execute("DELETE FROM pods WHERE id=?", (pid,))


def set_settings(db: DB, pid: str, settings: dict) -> None:
    _ensure(db)
    db.conn.execute("UPDATE pods SET settings=? WHERE id=?", (fastjson.dumps(settings), pid))
