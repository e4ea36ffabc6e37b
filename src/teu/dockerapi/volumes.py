"""/volumes/...: the local driver's volumes."""

from __future__ import annotations

from typing import Any

from teu.dockerapi.http import Request, Send, respond, respond_json
from teu.dockerapi.service import Service
from teu.errors import InvalidArgument


async def list_(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.storage import volumes

    def go(e: Any) -> list:
        return [volumes.inspect(e.paths, e.db, v["name"]) for v in e.db.volumes()]

    await respond_json(req, send, {"Volumes": await svc.call(go), "Warnings": []})


async def create(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.storage import volumes

    body = await req.json() or {}
    if not isinstance(body, dict):
        raise InvalidArgument("the volume config must be a JSON object")
    unknown = sorted(set(body) - {"Name", "Driver", "DriverOpts", "Labels", "ClusterVolumeSpec"})
    if unknown:
        raise InvalidArgument(f"unknown field(s) in the volume config: {', '.join(unknown)}")
    if body.get("Driver") not in (None, "", "local"):
        raise InvalidArgument(f"volume driver {body['Driver']!r}: teu has only 'local'")
    if body.get("DriverOpts"):
        raise InvalidArgument("DriverOpts: not supported by teu's local driver yet")

    def go(e: Any) -> dict:
        name = volumes.create(e.paths, e.db, body.get("Name") or None, body.get("Labels"),
                              exist_ok=True)
        return volumes.inspect(e.paths, e.db, name)

    await respond_json(req, send, await svc.call(go), 201)


async def inspect(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.storage import volumes

    name = req.params["name"]
    await respond_json(req, send, await svc.call(lambda e: volumes.inspect(e.paths, e.db, name)))


async def remove(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.storage import volumes

    name, force = req.params["name"], req.flag("force")
    await svc.call(lambda e: volumes.remove(e.paths, e.db, name, force))
    await respond(req, send, 204)


async def prune(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.storage import volumes
    from teu.labelfilter import parse

    filters = parse(req.filters(), ("all",))
    every = (filters.pop("all", None) or ["false"])[-1] in ("1", "true")
    deleted, freed = await svc.call(lambda e: volumes.prune(e.paths, e.db, every, filters))
    await respond_json(req, send, {"VolumesDeleted": deleted or None, "SpaceReclaimed": freed})


ROUTES = [
    ("GET", r"/volumes", list_),
    ("POST", r"/volumes/create", create),
    ("POST", r"/volumes/prune", prune),
    ("GET", r"/volumes/(?P<name>[^/]+)", inspect),
    ("DELETE", r"/volumes/(?P<name>[^/]+)", remove),
]
