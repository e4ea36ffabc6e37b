"""/containers/...: create, lifecycle, list, inspect, logs, wait, files, views."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from teu.dockerapi.http import Request, Send, chunk, respond, respond_json, start_stream
from teu.dockerapi.service import Service
from teu.dockerapi.streams import content_type, frame, in_thread, watch_disconnect
from teu.errors import Conflict, InvalidArgument, NotFound

ID = r"(?P<id>[^/]+)"


def _inspect(e: Any, ref: str) -> dict:
    from teu.engine import state
    from teu.engine.views.inspect import container

    row = state.refresh(e, e.find(ref))
    if row is None:
        raise NotFound(f"No such container: {ref}")
    out = container(e, row)
    # Clients read logs back only from drivers they know readable (docker-py's run looks
    # for json-file); teu's log is always readable through /logs.
    out.setdefault("HostConfig", {})["LogConfig"] = {"Type": "json-file", "Config": {}}
    return out


async def create(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.config.apibody import create_options
    from teu.engine.lifecycle.create import create as create_container

    body = await req.json(required=True)
    opts = create_options(body, req.arg("name") or None)
    if req.arg("platform"):
        opts["platform"] = req.arg("platform")
    row = await svc.call(create_container, opts)
    await respond_json(req, send, {"Id": row["id"], "Warnings": []}, 201)


async def start(svc: Service, req: Request, send: Send) -> None:
    from teu.engine import state
    ref = req.params["id"]

    def running(e: Any) -> bool:
        row = state.refresh(e, e.find(ref))
        return row is not None and row["status"] in state.RUNNING

    if await svc.call(running):
        await respond(req, send, 304)
        return
    await svc.forked("start", ref)
    await svc.watch_exit(ref)
    await respond(req, send, 204)


def _timeout(req: Request) -> float | None:
    t = req.int_arg("t")
    if t is None:
        t = req.int_arg("timeout")
    return None if t is None or t < 0 else float(t)


async def stop(svc: Service, req: Request, send: Send) -> None:
    from teu.engine import state
    from teu.engine.lifecycle.control import stop as stop_container

    ref = req.params["id"]

    def go(e: Any) -> bool:
        row = state.refresh(e, e.find(ref))
        if row is None or row["status"] not in state.RUNNING:
            return False
        stop_container(e, ref, _timeout(req))
        return True

    await respond(req, send, 204 if await svc.call(go) else 304)


async def restart(svc: Service, req: Request, send: Send) -> None:
    ref, t = req.params["id"], _timeout(req)
    await svc.call(lambda e: e.find(ref))
    await svc.forked("restart", ref, t)
    await respond(req, send, 204)


async def kill(svc: Service, req: Request, send: Send) -> None:
    from teu.engine import state
    from teu.engine.lifecycle.control import kill as kill_container

    ref, sig = req.params["id"], req.arg("signal") or "SIGKILL"

    def go(e: Any) -> None:
        try:
            row = state.refresh(e, e.find(ref))
        except NotFound as err:
            raise NotFound(f"Cannot kill container: {ref}: {err}") from None
        if row is None or row["status"] not in state.RUNNING:
            raise Conflict(f"Cannot kill container: {ref}: Container {row['id'] if row else ref}"
                           " is not running")
        kill_container(e, ref, int(sig) if sig.isdigit() else sig)

    await svc.call(go)
    await respond(req, send, 204)


async def pause(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.lifecycle.control import pause as pause_container

    await svc.call(pause_container, req.params["id"])
    await respond(req, send, 204)


async def unpause(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.lifecycle.control import unpause as unpause_container

    await svc.call(unpause_container, req.params["id"])
    await respond(req, send, 204)


async def rename(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.lifecycle.control import rename as rename_container

    name = req.arg("name")
    if not name:
        raise InvalidArgument("name is required")
    await svc.call(rename_container, req.params["id"], name)
    await respond(req, send, 204)


async def remove(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.lifecycle.remove import remove as remove_container

    if req.flag("link"):
        raise InvalidArgument("teu has no legacy links to remove")
    await svc.call(remove_container, req.params["id"], force=req.flag("force"),
                   volumes=req.flag("v"))
    await respond(req, send, 204)


def _wait_sync(e: Any, ref: str, condition: str) -> dict:
    from teu.engine import state
    from teu.engine.lifecycle import waiting

    row = e.find(ref)
    cid = row["id"]
    if condition in ("next-exit", "removed"):
        # A client waits before it starts the container: "next" is past the start.
        while row is not None and row["status"] == "created":
            time.sleep(0.02)
            row = e.reload(row)
    code = waiting.wait(e, cid, "not-running") if row is not None else None
    if code is None:
        exit_file = state.read_exit_file(e, cid)
        code = exit_file[0] if exit_file else 0
    if condition == "removed":  # by the exit command conmon runs: soon after the exit
        while e.db.get(cid) is not None:
            time.sleep(0.01)
    return {"StatusCode": code, "Error": None}


async def wait(svc: Service, req: Request, send: Send) -> None:
    condition = req.arg("condition") or "not-running"
    if condition not in ("not-running", "next-exit", "removed"):
        raise InvalidArgument(f"invalid condition: {condition!r}")
    ref = req.params["id"]
    await svc.call(lambda e: e.find(ref))  # a 404 before the 200's headers
    await start_stream(req, send, "application/json")
    import json

    try:
        result = await svc.call(_wait_sync, ref, condition)
    except NotFound:  # removed meanwhile, as it was asked to be
        result = {"StatusCode": 0, "Error": None}
    await chunk(send, json.dumps(result).encode() + b"\n", more=False)


async def inspect(svc: Service, req: Request, send: Send) -> None:
    out = await svc.call(_inspect, req.params["id"])
    if req.flag("size"):
        out.setdefault("SizeRw", 0)
        out.setdefault("SizeRootFs", 0)
    await respond_json(req, send, out)


def _summary(i: dict) -> dict:
    """A /containers/json entry from the inspect object."""
    import datetime

    created = i["Created"]
    try:
        ts = int(datetime.datetime.fromisoformat(created.replace("Z", "+00:00")[:26]
                                                 + "+00:00").timestamp())
    except ValueError:
        ts = 0
    config, state = i.get("Config") or {}, i.get("State") or {}
    args = [i.get("Path") or ""] + list(i.get("Args") or [])
    ports = []
    for cport, binds in ((i.get("NetworkSettings") or {}).get("Ports") or {}).items():
        port, _, proto = cport.partition("/")
        for b in binds or [None]:
            p = {"PrivatePort": int(port), "Type": proto or "tcp"}
            if b:
                p.update(IP=b.get("HostIp") or "0.0.0.0", PublicPort=int(b["HostPort"]))
            ports.append(p)
    networks = (i.get("NetworkSettings") or {}).get("Networks") or {}
    return {"Id": i["Id"], "Names": [i["Name"]], "Image": config.get("Image") or i.get(
        "ImageName") or "", "ImageID": i.get("Image") or "",
            "Command": " ".join(a for a in args if a), "Created": ts, "Ports": ports,
            "Labels": config.get("Labels") or {}, "State": state.get("Status", ""),
            "Status": i.get("_StatusText", ""),
            "HostConfig": {"NetworkMode": (i.get("HostConfig") or {}).get("NetworkMode",
                                                                            "default")},
            "NetworkSettings": {"Networks": networks}, "Mounts": i.get("Mounts") or []}


def _list_sync(e: Any, all_: bool, filters: dict[str, list[str]], limit: int | None) -> list:
    from teu.engine import state
    from teu.engine.views.inspect import container
    from teu.engine.views.listing import listing

    flat = [f"{k}={v}" for k, vs in filters.items() for v in vs]
    out = []
    for item in listing(e, all_=all_, filters=flat, last=limit, no_trunc=True):
        try:
            row = state.refresh(e, e.find(item["ID"]))
        except NotFound:
            continue
        if row is None:
            continue
        i = container(e, row)
        i["_StatusText"] = item.get("Status", "")
        out.append(_summary(i))
    return out


async def list_(svc: Service, req: Request, send: Send) -> None:
    limit = req.int_arg("limit")
    all_ = req.flag("all") or (limit is not None and limit > 0)
    rows = await svc.call(_list_sync, all_, req.filters(),
                          limit if limit is not None and limit > 0 else None)
    await respond_json(req, send, rows)


def _log_source(svc: Service, ref: str, follow: bool, tail: int | None,
                since: float | None, until: float | None, timestamps: bool,
                wanted: set[str], wait_start: bool = False):  # noqa: ANN202
    from teu.engine.monitor import logs as L
    from teu.engine.views.logs_cmd import batches

    def make():  # noqa: ANN202 - an iterator of (stream, bytes)
        e = svc.engine()
        try:
            if wait_start:  # attach before start: output from the start on
                row = e.find(ref)
                while row is not None and row["status"] == "created":
                    time.sleep(0.02)
                    row = e.reload(row)
            for batch in batches(e, ref, follow, tail, since, until):
                for r in batch:
                    if r.stream in wanted:
                        yield (2 if r.stream == "stderr" else 1), L.format_record(r, timestamps)
        finally:
            e.close()

    return make


def _since(value: str | None) -> float | None:
    if value in (None, "", "0"):
        return None
    try:
        return float(value)
    except ValueError:
        raise InvalidArgument(f"invalid since/until value: {value!r}") from None


async def logs(svc: Service, req: Request, send: Send) -> None:
    ref = req.params["id"]
    info = await svc.call(_inspect, ref)
    wanted = {s for s in ("stdout", "stderr") if req.flag(s)}
    if not wanted:
        raise InvalidArgument("Bad parameters: you must choose at least one stream")
    tail_arg = req.arg("tail") or "all"
    try:
        tail = None if tail_arg == "all" else int(tail_arg)
    except ValueError:
        tail = None
    tty = bool(info["Config"].get("Tty"))
    stop = threading.Event()
    make = _log_source(svc, ref, req.flag("follow"), tail, _since(req.arg("since")),
                       _since(req.arg("until")), req.flag("timestamps"), wanted)
    await start_stream(req, send, content_type(req.version, tty))
    watcher = asyncio.create_task(watch_disconnect(req.receive, stop))
    try:
        async for stream, data in in_thread(make, stop):
            await chunk(send, data if tty else frame(stream, data))
        await chunk(send, b"", more=False)
    finally:
        watcher.cancel()


async def top(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.views.top import top as top_of

    ps_args = req.arg("ps_args")
    titles, rows = await svc.call(top_of, req.params["id"],
                                  ps_args.split() if ps_args else None)
    await respond_json(req, send, {"Titles": titles, "Processes": rows})


async def changes(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.files.diff import changes as changes_of

    kinds = {"C": 0, "A": 1, "D": 2}
    found = await svc.call(changes_of, req.params["id"])
    await respond_json(req, send, [{"Path": p, "Kind": kinds[k]} for k, p in found] or None)


async def stats(svc: Service, req: Request, send: Send) -> None:
    import json

    from teu.engine.views import stats as ST

    ref = req.params["id"]

    def sample(e: Any, previous: dict | None) -> tuple[dict, dict | None]:
        row = ST.rows_for(e, [ref], True)[0]
        now = ST._safe_sample(e, row)
        return ST.api_entry(row, previous, now), now

    stream = req.flag("stream", True) and not req.flag("one-shot")
    if not stream:
        first = None
        if not req.flag("one-shot"):
            first = (await svc.call(sample, None))[1]
            await asyncio.sleep(0.5)
        await respond_json(req, send, (await svc.call(sample, first))[0])
        return
    await start_stream(req, send, "application/json")
    stop = threading.Event()
    watcher = asyncio.create_task(watch_disconnect(req.receive, stop))
    previous = None
    try:
        while not stop.is_set():
            entry, previous = await svc.call(sample, previous)
            await chunk(send, json.dumps(entry).encode() + b"\n")
            if previous is None:
                break
            await asyncio.sleep(1)
        await chunk(send, b"", more=False)
    finally:
        watcher.cancel()


async def update(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.lifecycle.update import update as update_container

    body = await req.json(required=True)
    if not isinstance(body, dict):
        raise InvalidArgument("the update body must be a JSON object")
    names = {"Memory": "memory", "MemorySwap": "memory_swap", "CpuShares": "cpu_shares",
             "CpusetCpus": "cpuset_cpus", "PidsLimit": "pids_limit"}
    opts: dict = {}
    for key, value in body.items():
        if key in names:
            if value not in (None, 0, ""):
                opts[names[key]] = value
        elif key == "NanoCpus":
            if value:
                opts["cpus"] = str(int(value) / 1e9)
        elif key == "CpuQuota":
            if value:
                opts["cpus"] = str(value / (body.get("CpuPeriod") or 100000))
        elif key == "RestartPolicy":
            from teu.engine.config.apibody import restart_text

            if value and value.get("Name"):
                opts["restart"] = restart_text(value)
        elif key == "CpuPeriod" or value in (None, 0, "", [], {}):
            continue
        else:
            raise InvalidArgument(f"update of {key} is not supported by teu")
    await svc.call(update_container, req.params["id"], opts)
    await respond_json(req, send, {"Warnings": []})


async def export(svc: Service, req: Request, send: Send) -> None:
    import os

    from teu.engine.files.export import export as export_fs

    ref = req.params["id"]
    await svc.call(lambda e: e.find(ref))
    r, w = os.pipe()

    def go(e: Any) -> None:
        try:
            export_fs(e, ref, w)
        finally:
            os.close(w)

    job = asyncio.ensure_future(svc.call(go))
    await start_stream(req, send, "application/x-tar")
    try:
        while True:
            data = await svc.thread(os.read, r, 1 << 20)
            if not data:
                break
            await chunk(send, data)
        await job
        await chunk(send, b"", more=False)
    finally:
        os.close(r)


async def prune(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.lifecycle.prune import prune_containers

    flat = [f"{k}={v}" for k, vs in req.filters().items() for v in vs]
    deleted, freed = await svc.call(prune_containers, flat)
    await respond_json(req, send, {"ContainersDeleted": deleted or None,
                                   "SpaceReclaimed": freed})


async def resize(svc: Service, req: Request, send: Send) -> None:
    """The container's terminal to h rows and w columns (conmon's ctl fifo). dockerd
    reports each resize of a running container, a TTY or not (containerd's resize of a
    process without a console succeeds doing nothing); an exec's resize reports none."""
    from teu.engine import events, state
    from teu.engine.monitor.attach import resize as resize_tty

    rows, cols = req.int_arg("h"), req.int_arg("w")
    if rows is None or cols is None or rows < 0 or cols < 0:
        raise InvalidArgument("resize needs h and w, the rows and columns")
    ref = req.params["id"]

    def go(e: Any) -> None:
        row = state.refresh(e, e.find(ref))
        if row is None or row["status"] not in state.RUNNING:
            raise Conflict(f"Container {ref} is not running")
        if row.settings["Config"].get("Tty"):
            resize_tty(e.paths.container(row["id"]), rows, cols)
        events.container(e, row, "resize", height=str(rows), width=str(cols))

    await svc.call(go)
    await respond(req, send, 200)


ROUTES = [
    ("POST", r"/containers/create", create),
    ("GET", r"/containers/json", list_),
    ("POST", r"/containers/prune", prune),
    ("GET", rf"/containers/{ID}/json", inspect),
    ("POST", rf"/containers/{ID}/start", start),
    ("POST", rf"/containers/{ID}/stop", stop),
    ("POST", rf"/containers/{ID}/restart", restart),
    ("POST", rf"/containers/{ID}/kill", kill),
    ("POST", rf"/containers/{ID}/pause", pause),
    ("POST", rf"/containers/{ID}/unpause", unpause),
    ("POST", rf"/containers/{ID}/rename", rename),
    ("POST", rf"/containers/{ID}/wait", wait),
    ("POST", rf"/containers/{ID}/update", update),
    ("POST", rf"/containers/{ID}/resize", resize),
    ("DELETE", rf"/containers/{ID}", remove),
    ("GET", rf"/containers/{ID}/logs", logs),
    ("GET", rf"/containers/{ID}/top", top),
    ("GET", rf"/containers/{ID}/changes", changes),
    ("GET", rf"/containers/{ID}/stats", stats),
    ("GET", rf"/containers/{ID}/export", export),
]
