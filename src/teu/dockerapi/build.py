"""POST /build: the body a tar (or gzip'd tar) of the context, docker's query
parameters, docker's JSON stream back: {"stream": text} lines as teu.build prints its
plain progress, {"aux": {"ID"}} and "Successfully built/tagged" at the end (what the
CLI and docker-py read the image from), {"errorDetail"} if the build fails. The build
runs through teu.build in a worker of the fork server (it unshares and reaps)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from typing import Any

from teu.dockerapi.http import Request, Send, chunk, start_stream
from teu.dockerapi.service import Service
from teu.errors import InvalidArgument


def _json_arg(req: Request, name: str) -> dict[str, str]:
    text = req.arg(name)
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise InvalidArgument(f"{name}: not a JSON object") from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"{name}: not a JSON object")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def options(req: Request, context: str) -> dict[str, Any]:
    """teu.build.builder.BuildOptions' fields from the query."""
    if req.arg("remote"):
        raise InvalidArgument("teu builds from the request's tar context only (no remote)")
    dockerfile = req.arg("dockerfile") or "Dockerfile"
    path = os.path.realpath(os.path.join(context, dockerfile))
    if not path.startswith(os.path.realpath(context) + os.sep):
        raise InvalidArgument(f"the Dockerfile {dockerfile!r} is outside the context")
    network = req.arg("networkmode") or "default"
    return {"context": context, "dockerfile": path, "tags": req.query.get("t", []),
            "build_args": _json_arg(req, "buildargs"), "labels": _json_arg(req, "labels"),
            "target": req.arg("target") or "", "no_cache": req.flag("nocache"),
            "pull": req.flag("pull"), "platform": req.arg("platform") or "",
            "network": network, "progress": "plain",
            "dockerfile_name": os.path.basename(dockerfile)}


def _unpack(src: Any, dest: str) -> None:
    """The context tar into dest: nothing outside it, no devices (tarfile's data filter)."""
    import tarfile

    try:
        with tarfile.open(fileobj=src, mode="r:*") as t:
            t.extractall(dest, filter="data")
    except (tarfile.TarError, OSError) as e:
        raise InvalidArgument(f"the build context is not a readable tar: {e}") from None


async def build(svc: Service, req: Request, send: Send) -> None:
    quiet = req.flag("q")
    work = tempfile.mkdtemp(prefix="build-", dir=svc.runroot if os.path.isdir(svc.runroot)
                            else None)
    try:
        with tempfile.TemporaryFile(dir=work) as f:
            async for data in req.stream():
                f.write(data)
            f.seek(0)
            context = os.path.join(work, "context")
            os.mkdir(context)
            await svc.thread(_unpack, f, context)
        opts = options(req, context)
        await start_stream(req, send, "application/json")
        await _run(svc, opts, send, quiet)
    finally:
        shutil.rmtree(work, ignore_errors=True)


async def _run(svc: Service, opts: dict, send: Send, quiet: bool) -> None:
    async def out(msg: dict) -> None:
        await chunk(send, json.dumps(msg).encode() + b"\r\n")

    loop = asyncio.get_running_loop()
    r, w = os.pipe()
    try:
        pending = svc.forks.submit("build", [opts], None, w, w)
    finally:
        os.close(w)
    result = asyncio.ensure_future(svc.thread(pending.result))
    os.set_blocking(r, False)
    ready = asyncio.Event()
    loop.add_reader(r, ready.set)
    try:
        while True:
            await ready.wait()
            ready.clear()
            try:
                data = os.read(r, 65536)
            except BlockingIOError:
                continue
            if not data:
                break
            if not quiet:
                await out({"stream": data.decode(errors="replace")})
    finally:
        loop.remove_reader(r)
        os.close(r)
    try:
        done = await result
    except Exception as e:  # noqa: BLE001 - the build's failure, told in the stream
        await out({"errorDetail": {"message": str(e)}, "error": str(e)})
        await chunk(send, b"", more=False)
        return
    image_id = done["image_id"]
    await out({"aux": {"ID": image_id}})
    short = image_id.split(":")[-1][:12]
    lines = [f"Successfully built {short}\n"] if not quiet else [f"{image_id}\n"]
    if not quiet:
        lines += [f"Successfully tagged {t if ':' in t.rsplit('/', 1)[-1] else t + ':latest'}\n"
                  for t in opts["tags"]]
    for line in lines:
        await out({"stream": line})
    await chunk(send, b"", more=False)


ROUTES = [("POST", r"/build", build)]
