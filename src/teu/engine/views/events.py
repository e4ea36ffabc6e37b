"""Container events as docker reports them (create, start, die, pause, unpause, rename,
destroy), read off the store: teu has no daemon to see them happen, so a watcher compares
snapshots of the containers' rows; what `teu` commands do shows up the same way as what
the Engine API does. Pure: rows in, events out (teu.dockerapi.events streams them).
Changes closer together than the snapshots are merged (a rename then an rm in one
interval is a destroy under the old name); docker's events for calls that change no
state (kill, stop, restart, attach, exec, commit, export, top) are not seen here."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Seen:
    """What a snapshot keeps of one container."""

    name: str
    image: str
    status: str
    started_at: float | None
    finished_at: float | None
    exit_code: int | None
    labels: dict = field(default_factory=dict, compare=False, hash=False)


def seen(row: Any) -> Seen:
    config = row.settings.get("Config") or {}
    return Seen(row["name"], config.get("Image") or "", row["status"], row["started_at"],
                row["finished_at"], row["exit_code"], dict(config.get("Labels") or {}))


def event(cid: str, s: Seen, action: str, when: float, **extra: str) -> dict:
    """One event in the Engine API's shape (the old top-level fields beside Actor)."""
    attributes = {**{k: str(v) for k, v in s.labels.items()}, "image": s.image,
                  "name": s.name, **extra}
    return {"status": action, "id": cid, "from": s.image, "Type": "container",
            "Action": action, "Actor": {"ID": cid, "Attributes": attributes},
            "scope": "local", "time": int(when), "timeNano": int(when * 1e9)}


def _running(status: str) -> bool:
    return status in ("running", "paused")


def changes(before: dict[str, Seen], after: dict[str, Seen],
            now: float | None = None) -> list[dict]:
    """The events that take the containers from `before` to `after`, in order."""
    now = time.time() if now is None else now
    out: list[dict] = []
    for cid, s in after.items():
        old = before.get(cid)
        if old is None:
            out.append(event(cid, s, "create", now))
            old = Seen(s.name, s.image, "created", None, None, None, s.labels)
        # A rename seen in the same step as a change of state goes after it, and the state's
        # events carry the old name: the usual script is `docker wait X; docker rename X Y`
        # (dockerd: die X, rename Y), and a state change's time is known, a rename's is not.
        was = s if old.name == s.name else replace(s, name=old.name)
        started = s.started_at is not None and s.started_at != old.started_at
        if started and old.started_at is not None and _running(old.status):
            out.append(_die(cid, old, now))  # a restart: the run before ended first
        if started:
            out.append(event(cid, was, "start", s.started_at or now))
        if old.status != "paused" and s.status == "paused":
            out.append(event(cid, was, "pause", now))
        if old.status == "paused" and s.status == "running":
            out.append(event(cid, was, "unpause", now))
        ended = s.finished_at is not None and s.finished_at != old.finished_at
        if ended and not _running(s.status):
            out.append(_die(cid, was, s.finished_at or now))
        if old.name != s.name:
            out.append(event(cid, s, "rename", now, oldName=f"/{old.name}"))
    for cid, old in before.items():
        if cid not in after:
            if _running(old.status):
                out.append(_die(cid, old, now))
            out.append(event(cid, old, "destroy", now))
    return out


def _die(cid: str, s: Seen, when: float) -> dict:
    return event(cid, s, "die", when, exitCode=str(s.exit_code if s.exit_code is not None
                                                   else 0))


def snapshot(engine: Any) -> dict[str, Seen]:
    from teu.engine import state

    out = {}
    for row in engine.db.all():
        fresh = state.refresh(engine, row)
        if fresh is not None:
            out[fresh["id"]] = seen(fresh)
    return out


def matches(ev: dict, filters: dict[str, list[str]]) -> bool:
    """docker's event filters: each key any of its values."""
    attrs = ev["Actor"]["Attributes"]
    for key, values in filters.items():
        def one(value: str, key: str = key) -> bool:
            if key == "type":
                return ev["Type"] == value
            if key == "event":
                return ev["Action"] == value
            if key == "container":
                return ev["id"].startswith(value) or attrs.get("name") == value
            if key == "image":
                return attrs.get("image") == value
            if key == "label":
                k, eq, v = value.partition("=")
                return k in attrs and (not eq or attrs[k] == v)
            if key == "scope":
                return value == "local"
            return False

        if not any(one(v) for v in values):
            return False
    return True
