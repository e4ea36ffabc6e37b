"""The `Upgrade: tcp` hijack of attach and exec start: after the 101 answer the
connection is a raw two-way stream (the client's stdin in, the container's output
out), which ASGI cannot express. Docker's clients dial a fresh connection for it, so
the upgrade is always the first request on its connection: this protocol reads that
first request's head, keeps an upgrade for teu's own handler, and hands every other
connection to uvicorn's HTTP protocol, unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

_MAX_HEAD = 64 << 10


class Hijacked:
    """A hijacked connection: the request, its body, then stdin as it arrives."""

    def __init__(self, transport: asyncio.Transport, method: str, target: str,
                 headers: dict[str, str]) -> None:
        parts = urlsplit(target)
        self.transport = transport
        self.method = method
        self.path = parts.path
        self.query = parse_qs(parts.query, keep_blank_values=True)
        self.headers = headers
        self.incoming: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.closed = False

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return self.arg(name) in ("1", "true", "True")

    def write(self, data: bytes) -> None:
        if not self.closed and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport.can_write_eof():
                self.transport.write_eof()
            self.transport.close()

    async def body(self) -> bytes:
        """The request's body (Content-Length bytes) before the raw stream."""
        n = int(self.headers.get("content-length") or 0)
        data = b""
        while len(data) < n:
            part = await self.incoming.get()
            if part is None:
                break
            data += part
        if len(data) > n:  # stdin that came with the body: keep it for the stream
            self.incoming._queue.appendleft(data[n:])  # type: ignore[attr-defined]
            data = data[:n]
        return data

    def upgrade(self, content_type: str) -> None:
        self.write(b"HTTP/1.1 101 UPGRADED\r\nContent-Type: " + content_type.encode() +
                   b"\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: 1.47\r\n\r\n")

    def error(self, status: int, message: str) -> None:
        import json

        body = json.dumps({"message": message}).encode() + b"\n"
        reason = {400: "Bad Request", 404: "Not Found", 409: "Conflict"}.get(
            status, "Error")
        self.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        self.close()


def protocol_class(base: type, handle: Callable[[Hijacked], Awaitable[None]]) -> type:
    """A protocol class for uvicorn's Config(http=...): `base` serves plain HTTP,
    `handle` the upgraded connections."""

    class Protocol(asyncio.Protocol):
        def __init__(self, *args: Any, **kw: Any) -> None:
            self._args, self._kw = args, kw
            self._inner: asyncio.Protocol | None = None
            self._hijacked: Hijacked | None = None
            self._buf = b""
            self.transport: asyncio.Transport | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport  # type: ignore[assignment]

        def data_received(self, data: bytes) -> None:
            if self._inner is not None:
                self._inner.data_received(data)
                return
            if self._hijacked is not None:
                self._hijacked.incoming.put_nowait(data)
                return
            self._buf += data
            end = self._buf.find(b"\r\n\r\n")
            if end < 0 and len(self._buf) < _MAX_HEAD:
                return
            head = self._buf[:end] if end >= 0 else b""
            conn = _parse(self.transport, head) if head else None
            if conn is None:
                self._pass_on()
                return
            self._hijacked = conn
            rest = self._buf[end + 4:]
            self._buf = b""
            if rest:
                conn.incoming.put_nowait(rest)
            asyncio.get_running_loop().create_task(_run(handle, conn))

        def _pass_on(self) -> None:
            inner = base(*self._args, **self._kw)
            self._inner = inner
            inner.connection_made(self.transport)
            buf, self._buf = self._buf, b""
            if buf:
                inner.data_received(buf)

        def eof_received(self) -> bool | None:
            if self._inner is not None:
                return self._inner.eof_received()
            if self._hijacked is not None:
                self._hijacked.incoming.put_nowait(None)
                return True  # half-closed: the client is done writing, not reading
            return None

        def connection_lost(self, exc: Exception | None) -> None:
            if self._inner is not None:
                self._inner.connection_lost(exc)
            elif self._hijacked is not None:
                self._hijacked.closed = True
                self._hijacked.incoming.put_nowait(None)

        def pause_writing(self) -> None:
            if self._inner is not None:
                self._inner.pause_writing()

        def resume_writing(self) -> None:
            if self._inner is not None:
                self._inner.resume_writing()

    return Protocol


def _parse(transport: Any, head: bytes) -> Hijacked | None:
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, _ = lines[0].split(" ", 2)
    except ValueError:
        return None
    headers = {}
    for line in lines[1:]:
        k, sep, v = line.partition(":")
        if sep:
            headers[k.strip().lower()] = v.strip()
    if headers.get("upgrade", "").lower() != "tcp":
        return None
    return Hijacked(transport, method, target, headers)


async def _run(handle: Callable[[Hijacked], Awaitable[None]], conn: Hijacked) -> None:
    try:
        await handle(conn)
    finally:
        conn.close()
