"""The little of HTTP-over-ASGI the Engine API needs: a request, its body and query,
JSON and streamed responses. Every response carries dockerd's Api-Version header."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from teu.dockerapi.versions import MAX_VERSION
from teu.errors import InvalidArgument

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# A create body or a filter is a few KiB; past this it is not an API request.
MAX_JSON_BODY = 8 << 20
_TRUE = {"1", "true", "True", "yes"}


class ClientDisconnected(Exception):
    pass


class Request:
    __slots__ = ("scope", "receive", "method", "path", "headers", "query", "version",
                 "params", "started")

    def __init__(self, scope: Scope, receive: Receive, path: str, version: str) -> None:
        self.scope = scope
        self.receive = receive
        self.method: str = scope["method"]
        self.path = path
        self.version = version
        self.headers: dict[str, str] = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        qs = scope.get("query_string", b"").decode("latin-1")
        self.query: dict[str, list[str]] = parse_qs(qs, keep_blank_values=True)
        self.params: dict[str, str] = {}
        self.started = False

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.arg(name)
        if value is None:
            return default
        return value in _TRUE

    def int_arg(self, name: str, default: int | None = None) -> int | None:
        value = self.arg(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except ValueError:
            raise InvalidArgument(f"invalid value for {name}: {value!r}") from None

    def filters(self) -> dict[str, list[str]]:
        """The `filters` query argument: {"key": ["v", ...]} (docker also sends
        {"key": {"v": true}}, the older map form)."""
        raw = self.arg("filters")
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise InvalidArgument(f"invalid filter: {raw!r}") from None
        if not isinstance(data, dict):
            raise InvalidArgument(f"invalid filter: {raw!r}")
        out: dict[str, list[str]] = {}
        for key, value in data.items():
            if isinstance(value, dict):
                out[key] = [k for k, on in value.items() if on]
            elif isinstance(value, list):
                out[key] = [str(v) for v in value]
            else:
                out[key] = [str(value)]
        return out

    async def stream(self):  # noqa: ANN201 - an async iterator of bytes
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected()
            body = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                return

    async def body(self, limit: int = MAX_JSON_BODY) -> bytes:
        parts: list[bytes] = []
        total = 0
        async for chunk in self.stream():
            total += len(chunk)
            if total > limit:
                raise InvalidArgument(f"request body larger than {limit} bytes")
            parts.append(chunk)
        return b"".join(parts)

    async def json(self, required: bool = False) -> Any:
        """The JSON body (None when empty and not required); dockerd's 400 if malformed."""
        data = await self.body()
        if not data.strip():
            if required:
                raise InvalidArgument("bad parameter: request body is empty")
            return None
        try:
            return json.loads(data)
        except ValueError as e:
            raise InvalidArgument(f"invalid JSON: {e}") from None


def _headers(headers: dict[str, str] | None, content_type: str | None) -> list:
    out = [(b"api-version", MAX_VERSION.encode()), (b"docker-experimental", b"false"),
           (b"ostype", b"linux"), (b"server", b"teu (linux)")]
    if content_type:
        out.append((b"content-type", content_type.encode()))
    for k, v in (headers or {}).items():
        out.append((k.lower().encode("latin-1"), str(v).encode("latin-1")))
    return out


async def respond(req: Request, send: Send, status: int, body: bytes = b"",
                  content_type: str | None = "text/plain; charset=utf-8",
                  headers: dict[str, str] | None = None) -> None:
    req.started = True
    h = _headers(headers, content_type if body or status != 204 else None)
    h.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": h})
    await send({"type": "http.response.body", "body": b"" if req.method == "HEAD" else body})


async def respond_json(req: Request, send: Send, value: Any, status: int = 200) -> None:
    await respond(req, send, status, json.dumps(value).encode() + b"\n", "application/json")


async def start_stream(req: Request, send: Send, content_type: str, status: int = 200,
                       headers: dict[str, str] | None = None) -> None:
    req.started = True
    await send({"type": "http.response.start", "status": status,
                "headers": _headers(headers, content_type)})


async def chunk(send: Send, data: bytes, more: bool = True) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": more})
