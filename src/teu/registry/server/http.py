"""The little of HTTP-over-ASGI the registry needs: requests, bodies, responses, files."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

API_VERSION = (b"docker-distribution-api-version", b"registry/2.0")
# Large reads for downloads: each send() is one syscall-sized step for the
# server, and 1 MiB keeps the interpreter out of the way of the copy.
FILE_CHUNK = 1 << 20


class ClientDisconnected(Exception):
    pass


class Request:
    __slots__ = ("scope", "receive", "method", "path", "headers", "query", "status",
                 "sent_bytes", "received_bytes", "account", "repo")

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope = scope
        self.receive = receive
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.headers: dict[str, str] = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        qs = scope.get("query_string", b"").decode("latin-1")
        self.query: dict[str, str] = {k: v[-1] for k, v in parse_qs(qs, keep_blank_values=True).items()}
        self.status = 0
        self.sent_bytes = 0
        self.received_bytes = 0
        self.account: str | None = None
        self.repo: str | None = None

    @property
    def base_url(self) -> str:
        scheme = self.scope.get("scheme", "http")
        host = self.headers.get("host")
        if not host:
            server = self.scope.get("server") or ("localhost", 80)
            host = f"{server[0]}:{server[1]}"
        return f"{scheme}://{host}"

    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        if value is None:
            return None
        try:
            n = int(value)
        except ValueError:
            return None
        return n if n >= 0 else None

    async def stream(self) -> AsyncIterator[bytes]:
        """The request body as it arrives; ClientDisconnected if the client goes away."""
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected()
            body = message.get("body", b"")
            if body:
                self.received_bytes += len(body)
                yield body
            if not message.get("more_body", False):
                return

    async def read(self, limit: int) -> bytes:
        """The whole body, at most `limit` bytes (ValueError past it)."""
        parts: list[bytes] = []
        total = 0
        async for chunk in self.stream():
            total += len(chunk)
            if total > limit:
                raise ValueError("body too large")
            parts.append(chunk)
        return b"".join(parts)


def _encode_headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    out = [API_VERSION]
    out.extend((k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items())
    return out


async def respond(req: Request, send: Send, status: int, body: bytes = b"",
                  headers: dict[str, str] | None = None, content_length: int | None = None) -> None:
    h = dict(headers or {})
    h.setdefault("Content-Length", str(len(body) if content_length is None else content_length))
    req.status = status
    await send({"type": "http.response.start", "status": status, "headers": _encode_headers(h)})
    if req.method == "HEAD":
        body = b""
    req.sent_bytes += len(body)
    await send({"type": "http.response.body", "body": body})


async def respond_file(req: Request, send: Send, path: str, start: int, end: int, status: int,
                       headers: dict[str, str]) -> None:
    """Send bytes start..end (inclusive) of `path`.

    With the ASGI pathsend extension (granian) a whole file goes out without
    passing through Python; otherwise it is read in large chunks with pread.
    The file is opened before the headers go out, so a blob removed meanwhile
    still streams whole (unlinked files stay readable while open).
    """
    length = end - start + 1
    headers = {**headers, "Content-Length": str(length)}
    fd = os.open(path, os.O_RDONLY)
    try:
        req.status = status
        await send({"type": "http.response.start", "status": status,
                    "headers": _encode_headers(headers)})
        if req.method == "HEAD" or length <= 0:
            await send({"type": "http.response.body", "body": b""})
            return
        extensions = req.scope.get("extensions") or {}
        if "http.response.pathsend" in extensions and start == 0 \
                and length == os.fstat(fd).st_size:
            await send({"type": "http.response.pathsend", "path": path})
            req.sent_bytes += length
            return
        offset = start
        remaining = length
        while remaining > 0:
            chunk = os.pread(fd, min(FILE_CHUNK, remaining), offset)
            if not chunk:
                break  # truncated underneath us: impossible for committed blobs
            offset += len(chunk)
            remaining -= len(chunk)
            req.sent_bytes += len(chunk)
            await send({"type": "http.response.body", "body": chunk,
                        "more_body": remaining > 0})
        if remaining > 0:
            await send({"type": "http.response.body", "body": b""})
    finally:
        os.close(fd)
