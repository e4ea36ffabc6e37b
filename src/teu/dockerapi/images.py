"""/images/...: list, inspect, history, tag, remove, prune (the local store)."""

from __future__ import annotations

from typing import Any

from teu.dockerapi.http import Request, Send, respond, respond_json
from teu.dockerapi.service import Service

NAME = r"(?P<name>.+)"


def _with_store(svc: Service, fn: Any) -> Any:
    from teu.image.store import Store

    st = Store(svc.root)
    try:
        return fn(st)
    finally:
        st.close()


def _epoch(value: Any) -> int:
    """Seconds since the epoch from an RFC 3339 text or a number (the API's int64)."""
    import datetime

    if isinstance(value, str):
        try:
            return int(datetime.datetime.fromisoformat(
                value.replace("Z", "+00:00")[:19] + "+00:00").timestamp())
        except ValueError:
            return 0
    return int(value or 0)


async def list_(svc: Service, req: Request, send: Send) -> None:
    def go() -> list:
        out = []
        for r in _with_store(svc, lambda st: list(st.images())):
            created = _epoch(r.created)
            out.append({"Id": r.id, "ParentId": "", "RepoTags": r.tags or None,
                        "RepoDigests": r.digests or [], "Created": created,
                        "Size": r.size, "SharedSize": -1, "VirtualSize": r.size,
                        "Labels": {}, "Containers": -1})
        return out

    await respond_json(req, send, await svc.thread(go))


async def inspect(svc: Service, req: Request, send: Send) -> None:
    from teu.image.inspect import inspect as inspect_image

    name = req.params["name"]
    await respond_json(req, send, await svc.thread(
        _with_store, svc, lambda st: inspect_image(st, st.lookup(name))))


async def history(svc: Service, req: Request, send: Send) -> None:
    from teu.image.inspect import history as history_of

    name = req.params["name"]
    rows = await svc.thread(_with_store, svc, lambda st: history_of(st, st.lookup(name)))
    for r in rows:
        r["Created"] = _epoch(r.get("Created"))
    await respond_json(req, send, rows)


async def tag(svc: Service, req: Request, send: Send) -> None:
    from teu.errors import InvalidArgument

    repo, tag_ = req.arg("repo"), req.arg("tag")
    if not repo:
        raise InvalidArgument("repository name must be given")
    target = f"{repo}:{tag_}" if tag_ else repo
    name = req.params["name"]
    await svc.thread(_with_store, svc, lambda st: st.tag(name, target))
    await respond(req, send, 201)


async def remove(svc: Service, req: Request, send: Send) -> None:
    name, force = req.params["name"], req.flag("force")
    lines = await svc.thread(_with_store, svc, lambda st: st.remove(name, force=force))
    out = []
    for line in lines:
        kind, _, what = line.partition(": ")
        out.append({kind: what})
    await respond_json(req, send, out)


async def prune(svc: Service, req: Request, send: Send) -> None:
    from teu.labelfilter import parse

    filters = parse(req.filters(), ("dangling",))
    every = (filters.pop("dangling", None) or ["true"])[-1] in ("false", "0")
    events, freed = await svc.thread(_with_store, svc,
                                     lambda st: st.prune(all=every, filters=filters))
    out = []
    for line in events:
        kind, _, what = str(line).partition(": ")
        out.append({kind: what})
    await respond_json(req, send, {"ImagesDeleted": out or None, "SpaceReclaimed": freed})


async def search(svc: Service, req: Request, send: Send) -> None:
    await respond_json(req, send, [])  # teu searches no index (the issue: empty)


ROUTES = [
    ("GET", r"/images/json", list_),
    ("POST", r"/images/prune", prune),
    ("GET", r"/images/search", search),
    ("GET", rf"/images/{NAME}/json", inspect),
    ("GET", rf"/images/{NAME}/history", history),
    ("POST", rf"/images/{NAME}/tag", tag),
    ("DELETE", rf"/images/{NAME}", remove),
]
