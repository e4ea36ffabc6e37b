"""/networks/...: create, list, inspect, connect, disconnect, remove, prune, through
teu.network's store and teu.engine.network. Connect and disconnect run the CNI plugins
into a container's namespace: in a fork-server worker, never in the service."""

from __future__ import annotations

from typing import Any

from teu.dockerapi.http import Request, Send, respond, respond_json
from teu.dockerapi.service import Service
from teu.errors import InvalidArgument

ID = r"(?P<id>[^/]+)"
_CREATE_FIELDS = {"Name", "CheckDuplicate", "Driver", "Internal", "Attachable", "Ingress",
                  "IPAM", "EnableIPv6", "Options", "Labels", "Scope", "ConfigOnly",
                  "ConfigFrom"}


def _status(e: Exception) -> Exception:
    """dockerd's statuses for the network layer's refusals."""
    text = str(e)
    if "already exists" in text:
        e.status_code = 409  # type: ignore[attr-defined]
    elif "active endpoints" in text or "pre-defined network" in text:
        e.status_code = 403  # type: ignore[attr-defined]
    elif "is not connected" in text:
        e.status_code = 400  # type: ignore[attr-defined]
    return e


async def _call(svc: Service, fn: Any, *args: Any) -> Any:
    from teu.network.errors import NetworkError

    try:
        return await svc.call(fn, *args)
    except NetworkError as e:
        raise _status(e) from None


async def create(svc: Service, req: Request, send: Send) -> None:
    body = await req.json(required=True)
    if not isinstance(body, dict) or not body.get("Name"):
        raise InvalidArgument("network name is required")
    unknown = sorted(set(body) - _CREATE_FIELDS)
    if unknown:
        raise InvalidArgument(f"unknown field(s) in the network config: {', '.join(unknown)}")
    if body.get("ConfigOnly") or body.get("ConfigFrom") or body.get("Ingress"):
        raise InvalidArgument("config-only, config-from and ingress networks are not "
                              "supported by teu")
    ipam = body.get("IPAM") or {}
    if (ipam.get("Driver") or "default") != "default":
        raise InvalidArgument(f"IPAM driver {ipam['Driver']!r} is not supported by teu")
    v4: dict = {}
    v6: dict = {}
    for entry in ipam.get("Config") or []:
        target = v6 if ":" in (entry.get("Subnet") or entry.get("Gateway") or "") else v4
        if target:
            raise InvalidArgument("teu takes one IPv4 and one IPv6 IPAM config at most")
        target.update(entry)
    options = {str(k): str(v) for k, v in (body.get("Options") or {}).items()}
    labels = {str(k): str(v) for k, v in (body.get("Labels") or {}).items()}

    def go(e: Any) -> str:
        from teu.network.store import Store

        return Store(e.paths.root).create(
            body["Name"], body.get("Driver") or "bridge", v4.get("Subnet") or "",
            v4.get("Gateway") or "", v4.get("IPRange") or "", v6.get("Subnet") or "",
            v6.get("Gateway") or "", bool(body.get("EnableIPv6")),
            bool(body.get("Internal")), labels, options).id

    nid = await _call(svc, go)
    await respond_json(req, send, {"Id": nid, "Warning": ""}, 201)


def _inspect(e: Any, ref: str) -> dict:
    from teu.engine.network import inspect_network

    out = inspect_network(e, ref)
    if not out.get("Created"):  # host and none: made with the store, as dockerd's at start
        from teu.network.store import Store

        default = next((n for n in Store(e.paths.root).all() if n.is_default), None)
        out["Created"] = (default.created if default is not None and default.created
                          else "0001-01-01T00:00:00Z")
    return out


async def list_(svc: Service, req: Request, send: Send) -> None:
    filters = req.filters()

    def go(e: Any) -> list:
        from teu.network import listing

        listing.check(filters)
        out = []
        for net in listing.networks(e.paths.root):
            seen = {}  # inspected once, and only if a filter needs its containers

            def in_use(n: Any, seen: dict = seen) -> bool:
                seen["x"] = _inspect(e, n.name)
                return bool(seen["x"].get("Containers"))

            if listing.matches(net, filters, in_use):
                out.append(seen.get("x") or _inspect(e, net.name))
        return out

    await respond_json(req, send, await _call(svc, go))


async def inspect(svc: Service, req: Request, send: Send) -> None:
    await respond_json(req, send, await _call(svc, _inspect, req.params["id"]))


async def remove(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.network import remove_network

    await _call(svc, remove_network, req.params["id"])
    await respond(req, send, 204)


async def prune(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.network import prune as prune_networks
    from teu.labelfilter import parse

    removed = await _call(svc, prune_networks, parse(req.filters(), allowed=("until",)))
    await respond_json(req, send, {"NetworksDeleted": removed or None})


async def connect(svc: Service, req: Request, send: Send) -> None:
    from teu.network.errors import NetworkError

    body = await req.json(required=True)
    if not isinstance(body, dict) or not body.get("Container"):
        raise InvalidArgument("container is required")
    ep = body.get("EndpointConfig") or {}
    ipam = ep.get("IPAMConfig") or {}
    await _call(svc, _inspect, req.params["id"])  # a 404 for a missing network first
    try:
        await svc.forked("connect", req.params["id"], body["Container"],
                         ipam.get("IPv4Address") or "", ipam.get("IPv6Address") or "",
                         list(ep.get("Aliases") or []))
    except NetworkError as e:
        raise _status(e) from None
    await respond(req, send, 200)


async def disconnect(svc: Service, req: Request, send: Send) -> None:
    from teu.network.errors import NetworkError

    body = await req.json(required=True)
    if not isinstance(body, dict) or not body.get("Container"):
        raise InvalidArgument("container is required")
    try:
        await svc.forked("disconnect", req.params["id"], body["Container"],
                         bool(body.get("Force")))
    except NetworkError as e:
        raise _status(e) from None
    await respond(req, send, 200)


ROUTES = [
    ("GET", r"/networks", list_),
    ("POST", r"/networks/create", create),
    ("POST", r"/networks/prune", prune),
    ("GET", rf"/networks/{ID}", inspect),
    ("DELETE", rf"/networks/{ID}", remove),
    ("POST", rf"/networks/{ID}/connect", connect),
    ("POST", rf"/networks/{ID}/disconnect", disconnect),
]
