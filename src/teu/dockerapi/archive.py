"""/containers/{id}/archive: GET (a tar of a path), HEAD (its stat), PUT (extract a tar),
what `docker cp` uses. The copy runs in a forked child as teu.api's does (it enters the
container's mount namespace)."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from typing import Any

from teu.dockerapi.http import Request, Send, chunk, respond, start_stream
from teu.dockerapi.service import Service
from teu.errors import InvalidArgument


def _stat(member: Any) -> dict[str, Any]:
    from teu.engine.files.cp import path_stat

    return path_stat(member)


def _path(req: Request) -> str:
    path = req.arg("path")
    if not path:
        raise InvalidArgument("bad parameter: path cannot be empty")
    return path


async def get(svc: Service, req: Request, send: Send) -> None:
    import tarfile

    ref, path = req.params["id"], _path(req)
    await svc.call(lambda e: e.find(ref))
    with tempfile.TemporaryFile(dir=svc.runroot if os.path.isdir(svc.runroot) else None) as f:
        await svc.forked("copy", f"{ref}:{path}", "-", req.method != "HEAD",
                         stdout=f.fileno())
        f.seek(0)
        with tarfile.open(fileobj=f) as t:
            first = t.next()
        stat = _stat(first) if first is not None else {}
        header = base64.b64encode(json.dumps(stat).encode()).decode()
        if req.method == "HEAD":
            await respond(req, send, 200, b"", None,
                          {"X-Docker-Container-Path-Stat": header})
            return
        f.seek(0)
        await start_stream(req, send, "application/x-tar",
                           headers={"X-Docker-Container-Path-Stat": header})
        while True:
            data = f.read(1 << 20)
            if not data:
                break
            await chunk(send, data)
        await chunk(send, b"", more=False)


async def put(svc: Service, req: Request, send: Send) -> None:
    ref, path = req.params["id"], _path(req)
    await svc.call(lambda e: e.find(ref))
    with tempfile.TemporaryFile() as f:
        async for data in req.stream():
            f.write(data)
        f.flush()
        f.seek(0)
        await svc.forked("copy", "-", f"{ref}:{path}", stdin=f.fileno())
    await respond(req, send, 200)


ROUTES = [
    ("GET", r"/containers/(?P<id>[^/]+)/archive", get),
    ("HEAD", r"/containers/(?P<id>[^/]+)/archive", get),
    ("PUT", r"/containers/(?P<id>[^/]+)/archive", put),
]
