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
    await svc.call(_event, cid, "exec_create: " + " ".join(str(c) for c in cmd), exec_id)
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
        "_size": _console_size(body.get("ConsoleSize")), "_pty": None,
        "_cmd": [str(c) for c in cmd]}
    await respond_json(req, send, {"Id": exec_id}, 201)


def _console_size(value: Any) -> tuple[int, int] | None:
    """ConsoleSize, [rows, columns], as API 1.42 added it (0s: unset)."""
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2 and
            all(isinstance(v, int) and v >= 0 for v in value)):
        raise InvalidArgument("ConsoleSize must be [rows, columns]")
    return (value[0], value[1]) if all(value) else None


def _record(svc: Service, exec_id: str) -> dict:
    rec = svc.execs.get(exec_id)
    if rec is None:
        raise NotFound(f"No such exec instance: {exec_id}")
    return rec


def _call(rec: dict, detach: bool) -> list:
    """The fork server's "exec" arguments for this instance."""
    pc = rec["ProcessConfig"]
    # with a terminal, stdin is always ours: the child reads its size from it
    return [rec["ContainerID"], rec["_cmd"], {
        "interactive": rec["OpenStdin"] or pc["tty"], "tty": pc["tty"],
        "user": pc["user"] or None, "env": rec["_env"], "workdir": rec["_workdir"],
        "detach": detach, "privileged": pc["privileged"],
        "report": False}]  # this module reports the exec's events, as dockerd, at its steps


def _begin(rec: dict) -> None:
    if rec["Running"] or rec["ExitCode"] is not None:
        raise Conflict(f"exec {rec['ID'][:12]} has already run")
    rec["Running"] = True


def _started(rec: dict) -> Any:
    def note(pid: int, master: int | None) -> None:
        rec["Pid"], rec["_pty"] = pid, master

    return note


def _event(e: Any, cid: str, action: str, exec_id: str, **extra: str) -> None:
    """dockerd's exec events, container events with the exec's ID (the action names
    the command: `exec_create: sh -c ...`)."""
    from teu.engine.events import container

    row = e.db.get(cid)
    if row is not None:
        container(e, row, action, execID=exec_id, **extra)


def _command(rec: dict) -> str:
    return " ".join(rec["_cmd"])


async def _run(svc: Service, rec: dict, write: Any, stdin: Any) -> None:
    await svc.call(_event, rec["ContainerID"], "exec_start: " + _command(rec), rec["ID"])
    try:
        code = await run_piped(svc, _call(rec, False), write, rec["ProcessConfig"]["tty"],
                               stdin if rec["OpenStdin"] else None, rec["OpenStdout"],
                               rec["OpenStderr"], _started(rec), rec["_size"])
    except Exception as e:  # noqa: BLE001 - the exec's own failure: its exit code
        code = getattr(e, "exit_code", 126)
        msg = f"{e}\n".encode()
        r = write(msg if rec["ProcessConfig"]["tty"] else frame(STDERR, msg))
        if asyncio.iscoroutine(r):
            await r
    rec["ExitCode"] = code
    rec["Running"] = False
    await svc.call(_event, rec["ContainerID"], "exec_die", rec["ID"], exitCode=str(code))


def _detached(svc: Service, rec: dict) -> None:
    """A detached start, as dockerd's: the exec runs on, its output dropped, Running
    until it ends, its real exit code and its exec_start/exec_die events; with a TTY our
    end of its terminal, so it can be resized."""
    async def discard(_: bytes) -> None:
        return None

    rec["_task"] = asyncio.ensure_future(_run(svc, rec, discard, None))  # held: not GC'd


async def start(svc: Service, req: Request, send: Send) -> None:
    """The plain-HTTP form: the output is the response body."""
    rec = _record(svc, req.params["id"])
    body = await req.json() or {}
    _begin(rec)
    if body.get("Detach"):
        _detached(svc, rec)
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
        _detached(svc, rec)
        conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        return
    conn.upgrade(content_type(version, rec["ProcessConfig"]["tty"]))
    await _run(svc, rec, conn.write, conn.incoming)


async def inspect(svc: Service, req: Request, send: Send) -> None:
    rec = _record(svc, req.params["id"])
    await respond_json(req, send, {k: v for k, v in rec.items() if not k.startswith("_")})


async def resize(svc: Service, req: Request, send: Send) -> None:
    """Our end of the exec's terminal to the size; the child copies it on SIGWINCH.
    Asked before the start (docker's CLI does not wait for it), the size is the one the
    terminal starts with."""
    import os
    import signal

    from teu.dockerapi.procio import set_size

    rec = _record(svc, req.params["id"])
    rows, cols = req.int_arg("h"), req.int_arg("w")
    if rows is None or cols is None or rows < 0 or cols < 0:
        raise InvalidArgument("resize needs h and w, the rows and columns")
    rec["_size"] = (rows, cols)  # a resize before the start (clients race it) holds
    if rec["_pty"] is not None:
        set_size(rec["_pty"], rows, cols)
        try:
            os.kill(rec["Pid"], signal.SIGWINCH)
        except ProcessLookupError:
            pass
    await respond(req, send, 201)


ROUTES = [
    ("POST", r"/containers/(?P<id>[^/]+)/exec", create),
    ("POST", r"/exec/(?P<id>[^/]+)/start", start),
    ("GET", r"/exec/(?P<id>[^/]+)/json", inspect),
    ("POST", r"/exec/(?P<id>[^/]+)/resize", resize),
]
