"""/containers/{id}/exec and /exec/{id}/...: exec instances, kept by the service while
it runs (docker keeps them in the daemon's memory too)."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from teu.dockerapi.hijack import Hijacked
from teu.dockerapi.http import Request, Send, chunk, respond, respond_json, start_stream
from teu.dockerapi.procio import run_piped
from teu.dockerapi.service import Service
from teu.dockerapi.streams import STDERR, content_type, frame
from teu.errors import Conflict, InvalidArgument, NotFound

_FIELDS = {"AttachStdin", "AttachStdout", "AttachStderr", "DetachKeys", "Tty", "Env", "Cmd",
           "Privileged", "User", "WorkingDir", "ConsoleSize", "Detach", "Container"}


async def create(svc: Service, req: Request, send: Send) -> None:
    from teu.engine import state

    body = await req.json(required=True)
    if not isinstance(body, dict):
        raise InvalidArgument("the exec config must be a JSON object")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise InvalidArgument(f"unknown field(s) in the exec config: {', '.join(unknown)}")
    cmd = body.get("Cmd")
    if not cmd or not isinstance(cmd, list):
        raise InvalidArgument("No exec command specified")
    ref = req.params["id"]

    def check(e: Any) -> str:
        row = state.refresh(e, e.find(ref))
        if row is None or row["status"] not in state.RUNNING:
            raise Conflict(f"Container {ref} is not running")
        if row["status"] == "paused":
            raise Conflict(f"Container {ref} is paused, unpause the container before exec")
        return row["id"]

    cid = await svc.call(check)
    exec_id = secrets.token_hex(32)
    svc.execs[exec_id] = {
        "ID": exec_id, "Running": False, "ExitCode": None, "ContainerID": cid,
        "OpenStdin": bool(body.get("AttachStdin")),
        "OpenStdout": bool(body.get("AttachStdout", True)),
        "OpenStderr": bool(body.get("AttachStderr", True)), "CanRemove": False,
        "DetachKeys": body.get("DetachKeys") or "", "Pid": 0,
        "ProcessConfig": {"tty": bool(body.get("Tty")), "entrypoint": cmd[0],
                          "arguments": cmd[1:], "privileged": bool(body.get("Privileged")),
                          "user": body.get("User") or ""},
        "_env": body.get("Env"), "_workdir": body.get("WorkingDir") or None,
        "_cmd": [str(c) for c in cmd]}
    await respond_json(req, send, {"Id": exec_id}, 201)


def _record(svc: Service, exec_id: str) -> dict:
    rec = svc.execs.get(exec_id)
    if rec is None:
        raise NotFound(f"No such exec instance: {exec_id}")
    return rec


def _runner(rec: dict, detach: bool):  # noqa: ANN202
    from teu.engine.lifecycle.execute import exec_in

    pc = rec["ProcessConfig"]

    def go(e: Any) -> int:
        return exec_in(e, rec["ContainerID"], rec["_cmd"], interactive=rec["OpenStdin"],
                       tty=pc["tty"], user=pc["user"] or None, env=rec["_env"],
                       workdir=rec["_workdir"], detach=detach, privileged=pc["privileged"])

    return go


def _begin(rec: dict) -> None:
    if rec["Running"] or rec["ExitCode"] is not None:
        raise Conflict(f"exec {rec['ID'][:12]} has already run")
    rec["Running"] = True


def _set_pid(rec: dict) -> Any:
    return lambda pid: rec.__setitem__("Pid", pid)


async def _run(svc: Service, rec: dict, write: Any, stdin: Any) -> None:
    try:
        code = await run_piped(svc, _runner(rec, False), write, rec["ProcessConfig"]["tty"],
                               stdin if rec["OpenStdin"] else None, rec["OpenStdout"],
                               rec["OpenStderr"], _set_pid(rec))
    except Exception as e:  # noqa: BLE001 - the exec's own failure: its exit code
        code = getattr(e, "exit_code", 126)
        msg = f"{e}\n".encode()
        r = write(msg if rec["ProcessConfig"]["tty"] else frame(STDERR, msg))
        if asyncio.iscoroutine(r):
            await r
    rec["ExitCode"] = code
    rec["Running"] = False


async def start(svc: Service, req: Request, send: Send) -> None:
    """The plain-HTTP form: the output is the response body."""
    rec = _record(svc, req.params["id"])
    body = await req.json() or {}
    _begin(rec)
    if body.get("Detach"):
        await svc.forked(_runner(rec, True))
        rec["Running"] = False
        rec["ExitCode"] = 0
        await respond(req, send, 200)
        return
    tty = rec["ProcessConfig"]["tty"]
    await start_stream(req, send, content_type(req.version, tty))
    await _run(svc, rec, lambda data: chunk(send, data), None)
    await chunk(send, b"", more=False)


async def start_hijacked(svc: Service, conn: Hijacked, version: str, exec_id: str) -> None:
    import json

    rec = _record(svc, exec_id)
    raw = await conn.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError as e:
        raise InvalidArgument(f"invalid JSON: {e}") from None
    _begin(rec)
    if body.get("Detach"):
        await svc.forked(_runner(rec, True))
        rec["Running"] = False
        rec["ExitCode"] = 0
        conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        return
    conn.upgrade(content_type(version, rec["ProcessConfig"]["tty"]))
    await _run(svc, rec, conn.write, conn.incoming)


async def inspect(svc: Service, req: Request, send: Send) -> None:
    rec = _record(svc, req.params["id"])
    await respond_json(req, send, {k: v for k, v in rec.items() if not k.startswith("_")})


async def resize(svc: Service, req: Request, send: Send) -> None:
    _record(svc, req.params["id"])
    await respond(req, send, 201)


ROUTES = [
    ("POST", r"/containers/(?P<id>[^/]+)/exec", create),
    ("POST", r"/exec/(?P<id>[^/]+)/start", start),
    ("GET", r"/exec/(?P<id>[^/]+)/json", inspect),
    ("POST", r"/exec/(?P<id>[^/]+)/resize", resize),
]
