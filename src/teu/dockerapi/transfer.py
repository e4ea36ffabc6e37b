"""Images in and out: pull (POST /images/create), import (fromSrc), push, save
(GET /images/get), load (POST /images/load), commit (POST /commit) and /auth.

Pull and push answer docker's JSON progress stream. As dockerd, an error before any
progress is a plain HTTP error (404 for a missing image); after it, an `errorDetail`
line in the stream, which the clients print and exit on."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import tempfile
import threading
from collections.abc import Callable
from typing import Any

from teu.dockerapi.http import Request, Send, chunk, respond_json, start_stream
from teu.dockerapi.service import Service
from teu.errors import InvalidArgument
from teu.image.progress import Progress


class JSONProgress(Progress):
    """teu's progress as docker's JSON messages, put on a queue from worker threads."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
        self.loop, self.queue = loop, queue
        self._lock = threading.Lock()
        self._last: dict[str, tuple] = {}

    def _put(self, msg: dict) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, msg)

    def message(self, text: str) -> None:
        self._put({"status": text})

    def layer(self, lid: str, status: str, current: int | None = None,
              total: int | None = None) -> None:
        with self._lock:  # one line per state, and per MB at most while moving
            key = (status, (current or 0) >> 20)
            if self._last.get(lid) == key:
                return
            self._last[lid] = key
        msg: dict = {"status": status, "id": lid, "progressDetail": {}}
        if current is not None and total:
            msg["progressDetail"] = {"current": current, "total": total}
        self._put(msg)

    def aux(self, value: dict) -> None:
        self._put({"aux": value})


async def _progress_stream(svc: Service, req: Request, send: Send,
                           job: Callable[[JSONProgress], Any]) -> None:
    """job(progress) in a thread, its messages streamed. Status lines before the first
    layer line are held back, so that a failure that early is an HTTP error."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    progress = JSONProgress(loop, queue)
    task = asyncio.ensure_future(svc.thread(job, progress))
    held: list[dict] = []
    started = False

    async def out(msg: dict) -> None:
        await chunk(send, json.dumps(msg).encode() + b"\r\n")

    while True:
        getter = asyncio.ensure_future(queue.get())
        done, _ = await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
        if getter not in done:
            getter.cancel()
            break
        msg = getter.result()
        if not started and "id" not in msg:
            held.append(msg)
            continue
        if not started:
            await start_stream(req, send, "application/json")
            started = True
            for m in held:
                await out(m)
            held.clear()
        await out(msg)
    error = task.exception()
    if error is not None and not started:
        raise error
    if not started:
        await start_stream(req, send, "application/json")
    while not queue.empty():
        held.append(queue.get_nowait())
    for m in held:
        await out(m)
    if error is not None:
        await out({"errorDetail": {"message": str(error)}, "error": str(error)})
    await chunk(send, b"", more=False)


def registry_auth(header: str | None) -> tuple[str, str] | None:
    """X-Registry-Auth: base64url JSON {username, password} (or an identity token)."""
    if not header:
        return None
    try:
        padded = header + "=" * (-len(header) % 4)
        doc = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError:
        raise InvalidArgument("invalid X-Registry-Auth header: not base64 JSON") from None
    if not isinstance(doc, dict):
        return None
    if doc.get("username") and doc.get("password"):
        return str(doc["username"]), str(doc["password"])
    if doc.get("identitytoken"):
        return "<token>", str(doc["identitytoken"])
    return None


def _reference(image: str, tag: str | None) -> str:
    if not tag:
        return image
    return f"{image}@{tag}" if ":" in tag and tag.split(":")[0].startswith("sha") \
        else f"{image}:{tag}"


async def create(svc: Service, req: Request, send: Send) -> None:
    """POST /images/create: fromImage (pull) or fromSrc (import of the body or a URL)."""
    if req.arg("fromSrc"):
        await _import(svc, req, send)
        return
    image = req.arg("fromImage")
    if not image:
        raise InvalidArgument("fromImage or fromSrc is required")
    name = _reference(image, req.arg("tag"))
    if "@" not in name and ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"  # docker pull X pulls X:latest; the API leaves that to us
    creds = registry_auth(req.headers.get("x-registry-auth"))
    platform = req.arg("platform") or None

    def job(progress: JSONProgress) -> Any:
        from teu.registry.client.pull import pull

        st = _store(svc)
        try:
            pull(st, name, platform=platform, credentials_=creds, progress=progress)
        finally:
            st.close()

    await _progress_stream(svc, req, send, job)


async def _import(svc: Service, req: Request, send: Send) -> None:
    if req.arg("fromSrc") != "-":
        raise InvalidArgument("teu imports from the request body only (fromSrc=-)")
    repo = req.arg("repo")
    name = _reference(repo, req.arg("tag")) if repo else None
    changes = req.query.get("changes", [])
    message = req.arg("message") or ""
    with tempfile.TemporaryFile(dir=_spool_dir(svc)) as f:
        async for data in req.stream():
            f.write(data)
        f.seek(0)

        def go() -> str:
            from teu.image.importer import import_tarball

            st = _store(svc)
            try:
                return import_tarball(st, f, name, changes=changes, message=message).row.id
            finally:
                st.close()

        image_id = await svc.thread(go)
    await respond_json(req, send, {"status": image_id})


async def push(svc: Service, req: Request, send: Send) -> None:
    name = _reference(req.params["name"], req.arg("tag"))
    creds = registry_auth(req.headers.get("x-registry-auth"))

    def job(progress: JSONProgress) -> Any:
        from teu.errors import ImageNotFound
        from teu.registry.client.push import push as push_image

        st = _store(svc)
        try:
            try:
                st.lookup(name)  # a 404 before any progress
            except ImageNotFound:
                raise ImageNotFound("An image does not exist locally with the tag: "
                                    f"{req.params['name']}") from None
            r = push_image(st, name, credentials_=creds, progress=progress)
        finally:
            st.close()
        tag = r.reference.tag or "latest"
        progress.message(f"{tag}: digest: {r.digest} size: {r.size}")
        progress.aux({"Tag": tag, "Digest": r.digest, "Size": r.size})

    await _progress_stream(svc, req, send, job)


def _store(svc: Service) -> Any:
    from teu.image.store import Store

    return Store(svc.root)


def _spool_dir(svc: Service) -> str | None:
    return svc.root if os.path.isdir(svc.root) else None


async def save(svc: Service, req: Request, send: Send) -> None:
    """GET /images/{name}/get and GET /images/get?names=...: a docker save tarball."""
    names = [req.params["name"]] if req.params.get("name") else req.query.get("names", [])
    if not names:
        raise InvalidArgument("no image names given")
    with tempfile.TemporaryFile(dir=_spool_dir(svc)) as f:
        def go() -> None:
            from teu.image.tarball import save as save_images
            from teu.trust.transfer import save_attachments

            st = _store(svc)
            try:
                save_images(st, names, f, save_attachments(st))
            finally:
                st.close()

        await svc.thread(go)  # whole before the 200: a missing name is a 404
        f.seek(0)
        await start_stream(req, send, "application/x-tar")
        while True:
            data = await svc.thread(f.read, 1 << 20)
            if not data:
                break
            await chunk(send, data)
        await chunk(send, b"", more=False)


async def load(svc: Service, req: Request, send: Send) -> None:
    quiet = req.flag("quiet")
    with tempfile.TemporaryFile(dir=_spool_dir(svc)) as f:
        async for data in req.stream():
            f.write(data)
        f.seek(0)

        def go() -> list:
            from teu.image.tarball import load_stream
            from teu.trust.transfer import load_attachments

            st = _store(svc)
            try:
                return load_stream(st, f, None, attach=load_attachments(st))
            finally:
                st.close()

        loaded = await svc.thread(go)
    lines = []
    for x in loaded:
        for n in x.names or []:
            lines.append(f"Loaded image: {_familiar(n)}\n")
        if not x.names:
            lines.append(f"Loaded image ID: {x.image_id}\n")
    if quiet:
        await respond_json(req, send, {"stream": "".join(lines)})
        return
    await start_stream(req, send, "application/json")
    for line in lines:
        await chunk(send, json.dumps({"stream": line}).encode() + b"\r\n")
    await chunk(send, b"", more=False)


def _familiar(name: str) -> str:
    from teu.image.reference import parse

    try:
        return parse(name).familiar()
    except Exception:  # noqa: BLE001 - shown as stored
        return name


_COMMIT_CONFIG = {"Cmd": "CMD", "Entrypoint": "ENTRYPOINT", "WorkingDir": "WORKDIR",
                  "User": "USER", "StopSignal": "STOPSIGNAL"}


def _config_changes(config: Any) -> list[str]:
    """A /commit body (a container config) as the Dockerfile changes it makes."""
    if not config:
        return []
    if not isinstance(config, dict):
        raise InvalidArgument("the commit body must be a container config object")
    out = []
    for key, value in config.items():
        if value in (None, "", [], {}):
            continue
        if key in _COMMIT_CONFIG:
            text = json.dumps(value) if isinstance(value, list) else value
            out.append(f"{_COMMIT_CONFIG[key]} {text}")
        elif key == "Env":
            out += [f"ENV {e}" if "=" in e else f"ENV {e}=" for e in value]
        elif key == "Labels":
            out += [f"LABEL {json.dumps(k)}={json.dumps(v)}" for k, v in value.items()]
        elif key == "ExposedPorts":
            out += [f"EXPOSE {p}" for p in value]
        elif key == "Volumes":
            out += [f"VOLUME {json.dumps(list(value))}"]
        elif key in ("Image", "Hostname", "AttachStdin", "AttachStdout", "AttachStderr",
                     "Tty", "OpenStdin", "StdinOnce", "Domainname"):
            continue
        else:
            raise InvalidArgument(f"commit with a config's {key} is not supported by teu")
    return out


async def commit(svc: Service, req: Request, send: Send) -> None:
    from teu.engine.files.commit import commit as commit_container

    ref = req.arg("container")
    if not ref:
        raise InvalidArgument("container is required")
    repo = req.arg("repo")
    name = _reference(repo, req.arg("tag")) if repo else None
    changes = [c for c in req.query.get("changes", []) if c.strip()]
    changes += _config_changes(await req.json())
    image_id = await svc.call(commit_container, ref, name, changes,
                              req.arg("comment") or "", req.arg("author") or "",
                              req.flag("pause", True))
    await respond_json(req, send, {"Id": image_id}, 201)


async def auth(svc: Service, req: Request, send: Send) -> None:
    """POST /auth: the credentials checked against the registry (the client keeps them)."""
    body = await req.json(required=True)
    if not isinstance(body, dict) or not body.get("username"):
        raise InvalidArgument("username and password are required")
    server = body.get("serveraddress") or "docker.io"

    def go() -> None:
        from teu.image.reference import normalize_registry
        from teu.registry.client.errors import AuthError
        from teu.registry.client.remote import Registry

        host = normalize_registry(server.removeprefix("https://").removeprefix("http://")
                                  .rstrip("/"))
        host = "registry-1.docker.io" if host == "docker.io" else host
        try:
            Registry(host, None, (body["username"], body.get("password") or "")).check_login()
        except AuthError as e:
            e.status_code = 401
            raise

    await svc.thread(go)
    await respond_json(req, send, {"Status": "Login Succeeded", "IdentityToken": ""})


ROUTES = [
    ("POST", r"/images/create", create),
    ("GET", r"/images/get", save),
    ("POST", r"/images/load", load),
    ("GET", r"/images/(?P<name>.+)/get", save),
    ("POST", r"/images/(?P<name>.+)/push", push),
    ("POST", r"/commit", commit),
    ("POST", r"/auth", auth),
]
