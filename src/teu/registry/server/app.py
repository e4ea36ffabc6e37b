"""The registry as a raw ASGI app: routing, auth, modes, errors, metrics and access logs.

The spec's handlers live in blobs.py (pull and push of blobs) and
manifests.py (manifests, tags, referrers); they raise RegistryError, which
becomes the spec's status code and JSON error body here. Bodies stream:
uploads go straight to the upload file, downloads out from the blob file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from teu.registry.server import names
from teu.registry.server.access import Access
from teu.registry.server.auth import Authorizer, NoAuth, TokenAuth
from teu.registry.server.blobs import BlobHandlers
from teu.registry.server.errors import RegistryError
from teu.registry.server.http import (
    ClientDisconnected,
    Receive,
    Request,
    Scope,
    Send,
    respond,
)
from teu.registry.server.manifests import JSON, ManifestHandlers, paginate
from teu.registry.server.metrics import Metrics
from teu.registry.server.storage.base import Storage

Handler = Callable[..., Awaitable[None]]

_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"/v2/?"), "base"),
    (re.compile(r"/v2/_catalog"), "catalog"),
    (re.compile(r"/v2/(?P<name>.+)/tags/list"), "tags"),
    (re.compile(r"/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)"), "manifest"),
    (re.compile(r"/v2/(?P<name>.+)/blobs/uploads/?"), "uploads"),
    (re.compile(r"/v2/(?P<name>.+)/blobs/uploads/(?P<upload>[^/]+)"), "upload"),
    (re.compile(r"/v2/(?P<name>.+)/blobs/(?P<digest>[^/]+)"), "blob"),
    (re.compile(r"/v2/(?P<name>.+)/referrers/(?P<digest>[^/]+)"), "referrers"),
    (re.compile(r"/token"), "token"),
    (re.compile(r"/healthz|/health|/debug/health"), "health"),
    (re.compile(r"/metrics"), "metrics"),
]
_WRITES = frozenset({"PUT", "POST", "PATCH", "DELETE"})


class RegistryApp(BlobHandlers, ManifestHandlers):
    """The registry: dispatch, auth, modes and logs here; handlers in blobs.py and manifests.py."""

    def __init__(self, storage: Storage, authorizer: Authorizer | None = None,
                 delete_enabled: bool = False, read_only: bool = False,
                 access_log: TextIO | None = sys.stderr, upload_expiry: float = 86400.0) -> None:
        self.storage = storage
        self.auth = authorizer or NoAuth()
        self.delete_enabled = delete_enabled
        self.read_only = read_only
        self.access_log = access_log
        self.upload_expiry = upload_expiry
        self.metrics = Metrics()
        self._expiry_task: asyncio.Task | None = None

    # -- ASGI ----------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        req = Request(scope, receive)
        started = time.monotonic()
        route = "unknown"
        self.metrics.in_flight += 1
        try:
            route, params = self._route(req.path)
            await self._dispatch(req, send, route, params)
        except RegistryError as e:
            await self._error(req, send, e)
        except ClientDisconnected:
            req.status = 499  # nginx's "client closed request": nothing is sent
        except Exception as e:  # the server stays up whatever one request does
            print(f"teu registry: internal error on {req.method} {req.path}: {e!r}",
                  file=sys.stderr)
            with contextlib.suppress(Exception):
                await respond(req, send, 500, json.dumps({"errors": [{
                    "code": "UNKNOWN", "message": "internal server error"}]}).encode(),
                    {"Content-Type": JSON})
        finally:
            self.metrics.in_flight -= 1
            elapsed = time.monotonic() - started
            self.metrics.observe(req.method, route, req.status, elapsed, req.sent_bytes,
                                 req.received_bytes)
            self._log(req, route, elapsed)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._expiry_task = asyncio.create_task(self._expire_loop())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._expiry_task:
                    self._expiry_task.cancel()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _expire_loop(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.storage.expire_uploads, self.upload_expiry)
            await asyncio.sleep(min(600.0, max(self.upload_expiry / 4, 1.0)))

    def _log(self, req: Request, route: str, elapsed: float) -> None:
        if self.access_log is None:
            return
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "remote": (req.scope.get("client") or ("", 0))[0],
            "method": req.method, "path": req.path, "route": route, "status": req.status,
            "sent": req.sent_bytes, "received": req.received_bytes,
            "ms": round(elapsed * 1000, 2),
        }
        if req.account:
            entry["user"] = req.account
        if req.repo:
            entry["repo"] = req.repo
        ua = req.headers.get("user-agent")
        if ua:
            entry["agent"] = ua
        with contextlib.suppress(Exception):
            self.access_log.write(json.dumps(entry) + "\n")
            self.access_log.flush()

    def _route(self, path: str) -> tuple[str, dict[str, str]]:
        for pattern, route in _ROUTES:
            m = pattern.fullmatch(path)
            if m:
                return route, m.groupdict()
        return "unknown", {}

    async def _error(self, req: Request, send: Send, e: RegistryError) -> None:
        # An unread request body is left to the server: uvicorn closes the
        # connection after this answer rather than reading a big upload for nothing.
        await respond(req, send, e.status, e.body(), {"Content-Type": JSON, **e.headers})

    # -- dispatch ------------------------------------------------------------

    async def _dispatch(self, req: Request, send: Send, route: str, p: dict[str, str]) -> None:
        if route == "health":
            await respond(req, send, 200, b'{"status":"ok"}\n', {"Content-Type": JSON})
            return
        if route == "metrics":
            await respond(req, send, 200, self.metrics.render(),
                          {"Content-Type": "text/plain; version=0.0.4"})
            return
        if route == "token":
            await self.token(req, send)
            return
        if route == "unknown":
            raise RegistryError("UNSUPPORTED", status=404, message="not found")
        name = p.get("name")
        if name is not None:
            if not names.valid_name(name):
                raise RegistryError("NAME_INVALID", detail={"name": name[:300]})
            req.repo = name
        need = self._needs(req, route, name)
        req.account = self.auth.check(req.headers, need, req.base_url)
        if self.read_only and req.method in _WRITES:
            raise RegistryError("UNSUPPORTED", message="registry is in read-only mode")
        handler: Handler | None = getattr(self, f"{route}_{req.method.lower()}", None)
        if handler is None and req.method == "HEAD":
            handler = getattr(self, f"{route}_get", None)
        if handler is None:
            raise RegistryError("UNSUPPORTED", message=f"{req.method} not allowed here")
        await handler(req, send, **p)

    def _needs(self, req: Request, route: str, name: str | None) -> list[Access]:
        if route == "catalog":
            return [Access("registry", "catalog", "*")]
        if name is None:
            return []
        if req.method in ("GET", "HEAD"):
            return [Access("repository", name, "pull")]
        if req.method == "DELETE":
            return [Access("repository", name, "delete")]
        # A mount's `from` repository is not required here: without pull access
        # to it the mount falls back to an upload (blobs.py), as distribution does.
        return [Access("repository", name, "pull"), Access("repository", name, "push")]

    # -- base, catalog, health, token -------------------------------------------

    async def base_get(self, req: Request, send: Send) -> None:
        await respond(req, send, 200, b"{}", {"Content-Type": JSON})

    async def catalog_get(self, req: Request, send: Send) -> None:
        repos = await asyncio.to_thread(self.storage.repositories)
        page, link = paginate(repos, req, "/v2/_catalog")
        headers = {"Content-Type": JSON}
        if link:
            headers["Link"] = link
        await respond(req, send, 200, json.dumps({"repositories": page}).encode(), headers)

    async def token(self, req: Request, send: Send) -> None:
        if not isinstance(self.auth, TokenAuth):
            raise RegistryError("UNSUPPORTED", status=404, message="no token service here")
        scopes = [v for k, vs in _multi_query(req).items() if k == "scope" for v in vs]
        authorization = req.headers.get("authorization")
        if req.method == "POST":
            # OAuth2 form (containerd, docker): grant_type=password|refresh_token.
            from urllib.parse import parse_qs

            form = parse_qs((await req.read(64 * 1024)).decode("latin-1"))
            scopes += [s for v in form.get("scope", []) for s in v.split(" ")]
            if form.get("grant_type", [""])[0] == "password":
                import base64

                user = form.get("username", [""])[0]
                pw = form.get("password", [""])[0]
                authorization = "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
            elif form.get("grant_type", [""])[0] == "refresh_token":
                raise RegistryError("UNSUPPORTED", status=400, message="refresh tokens not issued")
        elif req.method != "GET":
            raise RegistryError("UNSUPPORTED", message="use GET or POST")
        answer = await asyncio.to_thread(self.auth.issue, authorization, scopes)
        req.account = None
        await respond(req, send, 200, json.dumps(answer).encode(), {"Content-Type": JSON})

def _multi_query(req: Request) -> dict[str, list[str]]:
    from urllib.parse import parse_qs

    return parse_qs(req.scope.get("query_string", b"").decode("latin-1"))
