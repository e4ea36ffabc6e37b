"""Events as docker shows them, read off the store's journal (teu.journal), which the
operations themselves write (teu.engine.events, teu.image.events, teu.network.store,
teu.engine.storage.volumes): the Engine API's /events and `teu events` read the same
history and the same stream. Pure but for `stream`: events in, docker's shapes out."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

FILTERS = ("type", "event", "container", "image", "label", "network", "volume", "scope",
           "daemon")


def docker_shape(ev: dict) -> dict:
    """dockerd's JSON: container and image events keep the old status/id(/from) fields
    before the new ones (docker < 1.22 clients read those)."""
    kind = ev["Type"]
    if kind not in ("container", "image"):
        return ev
    old = {"status": ev["Action"], "id": ev["Actor"]["ID"]}
    if kind == "container":
        old["from"] = ev["Actor"]["Attributes"].get("image", "")
    return {**old, **ev}


def matches(ev: dict, filters: dict[str, list[str]]) -> bool:
    """docker's event filters: each key any of its values."""
    attrs = ev["Actor"]["Attributes"]
    kind, actor = ev["Type"], ev["Actor"]["ID"]
    for key, values in filters.items():
        def one(value: str, key: str = key) -> bool:
            if key == "type":
                return kind == value
            if key == "event":
                return ev["Action"] == value or ev["Action"].split(":")[0] == value
            if key == "container":
                return kind == "container" and (actor.startswith(value)
                                                or attrs.get("name") == value)
            if key == "image":
                if kind == "image":
                    return actor == value or attrs.get("name") == value \
                        or actor.startswith(value) or actor == f"sha256:{value}"
                return attrs.get("image") == value
            if key == "network":
                return kind == "network" and (actor.startswith(value)
                                              or attrs.get("name") == value)
            if key == "volume":
                return kind == "volume" and actor == value
            if key == "label":
                k, eq, v = value.partition("=")
                return k in attrs and (not eq or attrs[k] == v)
            if key == "scope":
                return value == "local"
            return False

        if not any(one(v) for v in values):
            return False
    return True


def text(ev: dict) -> str:
    """The docker CLI's line: `TIME TYPE ACTION ID (k=v, ...)`."""
    nano = ev["timeNano"]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(nano // 1_000_000_000))
    attrs = ", ".join(f"{k}={v}" for k, v in sorted(ev["Actor"]["Attributes"].items()))
    line = f"{stamp}.{nano % 1_000_000_000:09d}Z {ev['Type']} {ev['Action']} {ev['Actor']['ID']}"
    return f"{line} ({attrs})" if attrs else line


def stream(root: str, filters: dict[str, list[str]], since: float | None = None,
           until: float | None = None, stop: Callable[[], bool] = lambda: False
           ) -> Iterator[dict]:
    """The matching events (docker's shapes): the journal's history from `since` (none
    without it), then new ones as they are written, until `until` or stop(). Blocking:
    for `teu events`; the Engine API waits on Follower.fileno() in its event loop."""
    import select

    from teu import journal

    follower = journal.Follower(root)
    try:
        until_ns = None if until is None else int(until * 1e9)
        batch = follower.history(int(since * 1e9), until_ns) if since is not None else []
        while True:
            for ev in batch:
                if until_ns is not None and ev["timeNano"] > until_ns:
                    return
                if matches(ev, filters):
                    yield docker_shape(ev)
            if stop() or (until is not None and time.time() >= until):
                return
            wait = 1.0 if until is None else max(0.0, min(1.0, until - time.time()))
            if follower.fileno() >= 0:
                select.select([follower.fileno()], [], [], wait)
            else:
                time.sleep(min(wait, 0.2))
            batch = follower.read()
    finally:
        follower.close()
