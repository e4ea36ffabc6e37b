"""HTTP for the registry client: http.client, kept-alive connections per thread.

http.client rather than httpx: it imports in a few milliseconds, and its
`readinto` lands socket reads straight in the caller's buffer, which is
what a fast blob download needs. Each worker thread of a parallel pull has
its own connection per origin (http.client connections are not thread-safe).

Scheme: HTTPS with verification, except where plain HTTP is allowed
(--tls-verify=false, or a loopback registry, as docker treats localhost as
insecure): then HTTPS without verification is tried first, and plain HTTP
if the server does not speak TLS.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from teu.registry.client.errors import Unreachable

USER_AGENT = "teu/0.1.0"
TIMEOUT = 60.0
BLOCKSIZE = 1 << 20
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """Whether host[:port] names this machine's loopback (127.0.0.0/8, ::1, localhost)."""
    h = host
    if h.startswith("["):
        h = h[1:h.index("]")] if "]" in h else h
    elif h.count(":") == 1:
        h = h.split(":")[0]
    if h.lower() in _LOOPBACK_NAMES:
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


@dataclass
class Origin:
    scheme: str   # "https" or "http"
    host: str     # host[:port]
    verify: bool = True

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"


class Response:
    """A response whose body is read by the caller; close() returns the connection."""

    def __init__(self, resp: http.client.HTTPResponse, conn: http.client.HTTPConnection,
                 pool: Pool, key: tuple) -> None:
        self._resp = resp
        self._conn = conn
        self._pool = pool
        self._key = key
        self.status = resp.status
        self.headers = resp.headers
        self.url = ""

    def header(self, name: str) -> str | None:
        return self._resp.headers.get(name)

    def header_all(self, name: str) -> list[str]:
        return self._resp.headers.get_all(name) or []

    def read(self, n: int = -1) -> bytes:
        return self._resp.read(n if n is not None and n >= 0 else None)

    def readinto(self, buf: bytearray | memoryview) -> int:
        return self._resp.readinto(buf)

    def close(self) -> None:
        resp = self._resp
        if resp.isclosed():
            self._pool.give_back(self._key, self._conn)
            return
        # Drain a short rest to keep the connection; drop it if much is left.
        length = resp.length
        if length is not None and length <= 65536:
            try:
                resp.read()
                self._pool.give_back(self._key, self._conn)
                return
            except (OSError, http.client.HTTPException):
                pass
        resp.close()
        self._conn.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_CONTEXTS: dict[bool, ssl.SSLContext] = {}


def _context(verify: bool) -> ssl.SSLContext:
    """One TLS context per process and mode. Without verification no CA store is
    loaded: that alone costs ~40 ms, a sixth of a `teu pull` that has nothing to do."""
    ctx = _CONTEXTS.get(verify)
    if ctx is None:
        if verify:
            ctx = ssl.create_default_context()
        else:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        _CONTEXTS[verify] = ctx
    return ctx


class Pool:
    """Keep-alive connections, one set per thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _conns(self) -> dict:
        d = getattr(self._local, "conns", None)
        if d is None:
            d = self._local.conns = {}
        return d

    def take(self, origin: Origin) -> tuple[http.client.HTTPConnection, bool]:
        key = (origin.scheme, origin.host, origin.verify)
        conn = self._conns().pop(key, None)
        if conn is not None:
            return conn, True
        if origin.scheme == "https":
            conn = http.client.HTTPSConnection(origin.host, timeout=TIMEOUT,
                                               context=_context(origin.verify),
                                               blocksize=BLOCKSIZE)
        else:
            conn = http.client.HTTPConnection(origin.host, timeout=TIMEOUT, blocksize=BLOCKSIZE)
        return conn, False

    def give_back(self, key: tuple, conn: http.client.HTTPConnection) -> None:
        self._conns()[key] = conn

    def close_all(self) -> None:
        for conn in self._conns().values():
            conn.close()
        self._conns().clear()


def _connect_error(origin: Origin, e: BaseException) -> Unreachable:
    reason = getattr(e, "strerror", None) or getattr(e, "reason", None) or str(e) \
        or type(e).__name__
    if isinstance(e, ssl.SSLCertVerificationError):
        reason = f"TLS certificate verification failed: {e.verify_message}" \
            " (use --tls-verify=false for a registry you trust)"
    elif isinstance(e, socket.gaierror):
        reason = f"cannot resolve host: {e.strerror}"
    return Unreachable(f"{origin.base}: {reason}")


def send(pool: Pool, origin: Origin, method: str, target: str, headers: dict[str, str],
         body=None, follow: bool = True) -> Response:
    """One request; `target` is a path or an absolute URL (uploads' Location often is).

    Redirects (301/302/303/307/308) are followed for GET and HEAD; the
    Authorization header is dropped when the redirect leaves the origin (a
    storage backend's signed URL must not see registry credentials)."""
    hdrs = {"User-Agent": USER_AGENT, **headers}
    for _ in range(6):
        cur_origin, path = _split(origin, target)
        if cur_origin.host != origin.host or cur_origin.scheme != origin.scheme:
            hdrs.pop("Authorization", None)
        resp = _once(pool, cur_origin, method, path, hdrs, body)
        if follow and method in ("GET", "HEAD") and resp.status in (301, 302, 303, 307, 308):
            location = resp.header("Location")
            resp.close()
            if not location:
                raise Unreachable(f"{cur_origin.base}{path}: redirect without Location")
            target = urljoin(f"{cur_origin.base}{path}", location)
            continue
        resp.url = f"{cur_origin.base}{path}"
        return resp
    raise Unreachable(f"{origin.base}{target}: too many redirects")


def _split(origin: Origin, target: str) -> tuple[Origin, str]:
    if target.startswith("/"):
        return origin, target
    u = urlsplit(target)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    return Origin(u.scheme, u.netloc, origin.verify if u.netloc == origin.host else True), path


def _once(pool: Pool, origin: Origin, method: str, path: str, headers: dict[str, str],
          body) -> Response:
    key = (origin.scheme, origin.host, origin.verify)
    for attempt in (0, 1):
        conn, reused = pool.take(origin)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
            conn.close()
            # A kept-alive connection the server closed meanwhile: retry once on a
            # fresh one, if the body can be sent again.
            if reused and attempt == 0 and (body is None or isinstance(body, bytes)):
                continue
            raise _connect_error(origin, e) from None
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise _connect_error(origin, e) from None
        return Response(resp, conn, pool, key)
    raise AssertionError("unreachable")  # pragma: no cover
