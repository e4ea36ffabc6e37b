"""The Engine API as an ASGI app: version prefix, routing, and errors as dockerd gives
them ({"message": ...} with its status codes). Handlers are async functions
`handler(service, req, send)`; the modules of endpoints list theirs in ROUTES."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable

from teu.dockerapi import versions
from teu.dockerapi.hijack import Hijacked
from teu.dockerapi.http import (
    ClientDisconnected,
    Receive,
    Request,
    Scope,
    Send,
    respond_json,
)
from teu.dockerapi.service import Service
from teu.errors import TeuError

_ATTACH = re.compile(r"/containers/([^/]+)/attach$")
_EXEC_START = re.compile(r"/exec/([^/]+)/start$")
Handler = Callable[[Service, Request, Send], Awaitable[None]]
Route = tuple[str, str, Handler]


def _compile(routes: list[Route]) -> dict[str, list[tuple[re.Pattern[str], Handler]]]:
    table: dict[str, list[tuple[re.Pattern[str], Handler]]] = {}
    for method, pattern, handler in routes:
        table.setdefault(method, []).append((re.compile(pattern + "$"), handler))
    return table


class DockerAPI:
    """The ASGI app. `on_idle` is called by the lifespan loop when nothing has been
    asked for `idle_timeout` seconds (0: never)."""

    def __init__(self, service: Service, idle_timeout: float = 0,
                 on_idle: Callable[[], None] | None = None) -> None:
        from teu.dockerapi import (
            archive,
            attach,
            build,
            containers,
            events,
            execs,
            images,
            networks,
            system,
            transfer,
            volumes,
        )

        self.service = service
        # TEU_API_TRACE=1: a line per request on stderr (start, wall ms, method, path), for
        # the benchmark's profile of where a `docker run` spends its time in the service
        self.trace = bool(os.environ.get("TEU_API_TRACE"))
        self.idle_timeout = idle_timeout
        self.on_idle = on_idle
        self.routes = _compile(system.ROUTES + containers.ROUTES + execs.ROUTES +
                               attach.ROUTES + archive.ROUTES + transfer.ROUTES +
                               build.ROUTES + images.ROUTES + volumes.ROUTES +
                               networks.ROUTES + events.ROUTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        svc = self.service
        svc.in_flight += 1
        began = time.monotonic()
        try:
            await self._handle(scope, receive, send)
        finally:
            svc.in_flight -= 1
            svc.last_active = time.monotonic()
            if self.trace:
                _trace(began, scope["method"], scope["path"])

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        version, path = versions.split_path(scope["path"])
        req = Request(scope, receive, path, version or versions.MAX_VERSION)
        try:
            problem = versions.check(version)
            if problem:
                await respond_json(req, send, {"message": problem}, 400)
                return
            handler = self._route(req)
            await handler(self.service, req, send)
        except ClientDisconnected:
            pass
        except TeuError as e:
            await self._error(req, send, getattr(e, "status_code", 500), str(e))
        except Exception as e:  # the service stays up whatever one request does
            print(f"teu system service: internal error on {req.method} {scope['path']}: "
                  f"{e!r}", file=sys.stderr)
            await self._error(req, send, 500, f"internal error: {type(e).__name__}: {e}")

    async def hijack(self, conn: Hijacked) -> None:
        """An `Upgrade: tcp` request (teu.dockerapi.hijack): attach or exec start."""
        from teu.dockerapi.attach import attach_hijacked
        from teu.dockerapi.execs import start_hijacked

        svc = self.service
        svc.in_flight += 1
        began = time.monotonic()
        try:
            version, path = versions.split_path(conn.path)
            problem = versions.check(version)
            if problem:
                conn.error(400, problem)
                return
            version = version or versions.MAX_VERSION
            m = _ATTACH.match(path)
            n = _EXEC_START.match(path)
            if conn.method != "POST" or not (m or n):
                conn.error(404, "page not found")
                return
            try:
                if m:
                    await attach_hijacked(svc, conn, version, m.group(1))
                else:
                    await start_hijacked(svc, conn, version, n.group(1))  # type: ignore[union-attr]
            except TeuError as e:
                if not conn.closed:
                    conn.error(getattr(e, "status_code", 500), str(e))
        except Exception as e:  # noqa: BLE001 - the service stays up
            print(f"teu system service: internal error on {conn.method} {conn.path}: {e!r}",
                  file=sys.stderr)
        finally:
            svc.in_flight -= 1
            svc.last_active = time.monotonic()
            if self.trace:
                _trace(began, conn.method, conn.path + " (hijacked)")

    def _route(self, req: Request) -> Handler:
        from teu.errors import APIError

        for pattern, handler in self.routes.get(req.method, ()):
            m = pattern.match(req.path)
            if m:
                req.params = m.groupdict()
                return handler
        if req.method == "HEAD":  # HEAD is GET without the body
            for pattern, handler in self.routes.get("GET", ()):
                m = pattern.match(req.path)
                if m:
                    req.params = m.groupdict()
                    return handler
        for method, table in self.routes.items():
            if method != req.method and any(p.match(req.path) for p, _ in table):
                err = APIError(f"method {req.method} not allowed on {req.path}")
                err.status_code = 405
                raise err
        err = APIError("page not found")
        err.status_code = 404
        raise err

    async def _error(self, req: Request, send: Send, status: int, message: str) -> None:
        if req.started:  # headers are out: all we can do is end the stream
            return
        with contextlib.suppress(Exception):
            await respond_json(req, send, {"message": message}, status)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        import asyncio

        watcher = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.idle_timeout > 0 and self.on_idle is not None:
                    watcher = asyncio.create_task(self._watch_idle())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if watcher is not None:
                    watcher.cancel()
                self.service.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _watch_idle(self) -> None:
        import asyncio

        svc = self.service
        while True:
            await asyncio.sleep(min(1.0, self.idle_timeout))
            idle = time.monotonic() - svc.last_active
            if svc.in_flight == 0 and idle >= self.idle_timeout:
                assert self.on_idle is not None
                self.on_idle()
                return


def _trace(began: float, method: str, path: str) -> None:
    now = time.monotonic()
    print(f"trace {began:.3f} {(now - began) * 1000:7.1f} ms {method} {path}", file=sys.stderr,
          flush=True)
