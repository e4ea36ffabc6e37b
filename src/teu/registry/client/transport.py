"""HTTP for the registry client: a small HTTP/1.1 client, kept-alive connections per thread.

The registry API needs little of HTTP: one request at a time per connection,
bodies framed by Content-Length or chunked, redirects. This module speaks
that directly over a socket instead of through http.client, whose import
(the `email` parser, `ssl`, `re`, `datetime`...) cost more CPU than a whole
`teu verify` against a loopback registry does. `ssl` is imported only when a
connection is HTTPS. Bodies are read through a buffered socket file, so
`readinto` lands large reads straight in the caller's buffer (fast blob
downloads). Each worker thread of a parallel pull has its own connection per
origin (a connection carries one exchange at a time).

Scheme: HTTPS with verification, except where plain HTTP is allowed
(--tls-verify=false, or a loopback registry, as docker treats localhost as
insecure): then HTTPS without verification is tried first, and plain HTTP
if the server does not speak TLS.
"""

from __future__ import annotations

import socket
import sys
import threading

from teu.registry.client.errors import Unreachable

USER_AGENT = "teu/0.1.0"
TIMEOUT = 60.0
BLOCKSIZE = 1 << 20
MAX_LINE = 65536
MAX_HEADERS = 200
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
_BODYLESS = (204, 304)
_SENDS_BODY = ("POST", "PUT", "PATCH")


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


class Origin:
    """Where requests go: scheme ("https" or "http"), host[:port], TLS verification."""

    __slots__ = ("scheme", "host", "verify")

    def __init__(self, scheme: str, host: str, verify: bool = True) -> None:
        self.scheme = scheme
        self.host = host
        self.verify = verify

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Origin) and (self.scheme, self.host, self.verify) == \
            (other.scheme, other.host, other.verify)

    def __hash__(self) -> int:
        return hash((self.scheme, self.host, self.verify))

    def __repr__(self) -> str:
        return f"Origin({self.scheme!r}, {self.host!r}, verify={self.verify})"


class ProtocolError(ConnectionError):
    """The server broke HTTP/1.1 framing (bad status line, header, chunk size)."""


class Disconnected(ConnectionResetError):
    """The server closed the connection before answering (a stale keep-alive)."""


class Truncated(ConnectionError):
    """The connection closed before the body's announced end."""

    def __init__(self, got: int) -> None:
        super().__init__(None, f"connection closed after {got} more bytes (truncated)")
        self.got = got


def _split_hostport(host: str, default: int) -> tuple[str, int]:
    if host.startswith("["):
        end = host.index("]")
        name, rest = host[1:end], host[end + 1:]
        return name, int(rest[1:]) if rest.startswith(":") and rest[1:] else default
    if host.count(":") == 1:
        name, _, port = host.partition(":")
        return name, int(port) if port else default
    return host, default


class Connection:
    """One TCP (or TLS) connection to an origin; one exchange at a time."""

    __slots__ = ("origin", "sock", "rfile")

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        https = origin.scheme == "https"
        name, port = _split_hostport(origin.host, 443 if https else 80)
        sock = socket.create_connection((name, port), TIMEOUT)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if https:
                sock = _context(origin.verify).wrap_socket(sock, server_hostname=name)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.rfile = sock.makefile("rb")

    def close(self) -> None:
        try:
            self.rfile.close()
        finally:
            self.sock.close()


_CONTEXTS: dict = {}


def _context(verify: bool):  # -> ssl.SSLContext; ssl is imported for HTTPS only
    """One TLS context per process and mode. Without verification no CA store is
    loaded: that alone costs ~40 ms, a sixth of a `teu pull` that has nothing to do."""
    ctx = _CONTEXTS.get(verify)
    if ctx is None:
        import ssl

        if verify:
            ctx = ssl.create_default_context()
        else:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        _CONTEXTS[verify] = ctx
    return ctx


class Response:
    """A response whose body is read by the caller; close() returns the connection."""

    __slots__ = ("status", "url", "length", "_headers", "_conn", "_pool", "_key",
                 "_chunked", "_chunk_left", "_keep", "_done")

    def __init__(self, conn: Connection, pool: Pool, key: tuple, method: str) -> None:
        self._conn = conn
        self._pool = pool
        self._key = key
        self.url = ""
        rfile = conn.rfile
        while True:
            version, status = _status_line(rfile)
            headers = _header_lines(rfile)
            if not 100 <= status < 200 or status == 101:
                break
        self.status = status
        self._headers = headers
        connection = (self.header("Connection") or "").lower()
        keep = "close" not in connection if version == "HTTP/1.1" \
            else "keep-alive" in connection
        self._chunked = False
        self._chunk_left = 0
        self.length: int | None = None
        te = (self.header("Transfer-Encoding") or "").lower()
        if method == "HEAD" or status in _BODYLESS or 100 <= status < 200:
            self.length = 0
        elif "chunked" in te:
            self._chunked = True
        elif (cl := self.header("Content-Length")) is not None:
            try:
                self.length = int(cl)
            except ValueError:
                raise ProtocolError(None, f"bad Content-Length {cl!r}") from None
            if self.length < 0:
                raise ProtocolError(None, f"bad Content-Length {cl!r}")
        else:
            keep = False  # the body ends when the server closes the connection
        self._keep = keep
        self._done = self.length == 0

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self._headers:
            if k == name:
                return v
        return None

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self._headers if k == name]

    def isclosed(self) -> bool:
        return self._done

    def read(self, n: int = -1) -> bytes:
        if self._done:
            return b""
        if n is None or n < 0:
            n = -1
        rfile = self._conn.rfile
        if self._chunked:
            return self._read_chunked(n)
        if self.length is None:  # until close
            data = rfile.read() if n < 0 else rfile.read(n)
            if n < 0 or not data:
                self._done = True
            return data
        want = self.length if n < 0 else min(n, self.length)
        data = rfile.read(want)
        self.length -= len(data)
        if len(data) < want:
            self._keep = False
            raise Truncated(len(data))
        if self.length == 0:
            self._done = True
        return data

    def readinto(self, buf: bytearray | memoryview) -> int:
        if self._done or not len(buf):
            return 0
        if self._chunked:
            data = self._read_chunked(len(buf))
            buf[:len(data)] = data
            return len(data)
        mv = memoryview(buf).cast("B")
        if self.length is not None and len(mv) > self.length:
            mv = mv[:self.length]
        got = self._conn.rfile.readinto(mv)
        if self.length is None:
            if not got:
                self._done = True
            return got
        if not got:
            self._keep = False
            raise Truncated(0)
        self.length -= got
        if self.length == 0:
            self._done = True
        return got

    def _read_chunked(self, n: int) -> bytes:
        rfile = self._conn.rfile
        parts = []
        while n != 0 and not self._done:
            if self._chunk_left == 0:
                line = rfile.readline(MAX_LINE)
                if not line:
                    self._keep = False
                    raise Truncated(0)
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    self._keep = False
                    raise ProtocolError(None, f"bad chunk size {line[:40]!r}") from None
                if size == 0:
                    _header_lines(rfile)  # trailers
                    self._done = True
                    break
                self._chunk_left = size
            want = self._chunk_left if n < 0 else min(n, self._chunk_left)
            data = rfile.read(want)
            if len(data) < want:
                self._keep = False
                raise Truncated(len(data))
            parts.append(data)
            self._chunk_left -= len(data)
            if n > 0:
                n -= len(data)
            if self._chunk_left == 0:
                rfile.readline(MAX_LINE)  # the CRLF after a chunk
        return b"".join(parts)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if not self._done and self._keep and not self._chunked and \
                self.length is not None and self.length <= 65536:
            # Drain a short rest to keep the connection; drop it if much is left.
            try:
                self.read()
            except OSError:
                pass
        if self._done and self._keep:
            self._pool.give_back(self._key, conn)
        else:
            conn.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _status_line(rfile) -> tuple[str, int]:
    line = rfile.readline(MAX_LINE + 1)
    if not line:
        raise Disconnected(None, "server closed the connection without a response")
    if len(line) > MAX_LINE:
        raise ProtocolError(None, "status line too long")
    parts = line.decode("latin-1").split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit() \
            or len(parts[1]) != 3:
        raise ProtocolError(None, f"bad status line {line[:60]!r}")
    return parts[0], int(parts[1])


def _header_lines(rfile) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise ProtocolError(None, "header line too long")
        if line in (b"\r\n", b"\n", b""):
            return headers
        if len(headers) >= MAX_HEADERS:
            raise ProtocolError(None, f"more than {MAX_HEADERS} headers")
        text = line.decode("latin-1").rstrip("\r\n")
        if text[:1] in (" ", "\t") and headers:  # obsolete line folding
            k, v = headers[-1]
            headers[-1] = (k, f"{v} {text.strip()}")
            continue
        name, sep, value = text.partition(":")
        if not sep:
            raise ProtocolError(None, f"bad header line {line[:60]!r}")
        headers.append((name.strip().lower(), value.strip()))


class Pool:
    """Keep-alive connections, one set per thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _conns(self) -> dict:
        d = getattr(self._local, "conns", None)
        if d is None:
            d = self._local.conns = {}
        return d

    def take(self, origin: Origin) -> tuple[Connection, bool]:
        key = (origin.scheme, origin.host, origin.verify)
        conn = self._conns().pop(key, None)
        if conn is not None:
            return conn, True
        return Connection(origin), False

    def give_back(self, key: tuple, conn: Connection) -> None:
        old = self._conns().pop(key, None)
        if old is not None:
            old.close()
        self._conns()[key] = conn

    def close_all(self) -> None:
        for conn in self._conns().values():
            conn.close()
        self._conns().clear()


def _connect_error(origin: Origin, e: BaseException) -> Unreachable:
    reason = getattr(e, "strerror", None) or getattr(e, "reason", None) or str(e) \
        or type(e).__name__
    ssl = sys.modules.get("ssl")
    if ssl is not None and isinstance(e, ssl.SSLCertVerificationError):
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
            from urllib.parse import urljoin

            target = urljoin(f"{cur_origin.base}{path}", location)
            continue
        resp.url = f"{cur_origin.base}{path}"
        return resp
    raise Unreachable(f"{origin.base}{target}: too many redirects")


def _split(origin: Origin, target: str) -> tuple[Origin, str]:
    if target.startswith("/"):
        return origin, target
    from urllib.parse import urlsplit

    u = urlsplit(target)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    return Origin(u.scheme, u.netloc, origin.verify if u.netloc == origin.host else True), path


def _head(method: str, path: str, host: str, headers: dict[str, str], body) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept-Encoding: identity"]
    names = {k.lower() for k in headers}
    for k, v in headers.items():
        if "\n" in k or "\r" in k or "\n" in str(v) or "\r" in str(v):
            raise ValueError(f"invalid header {k!r}")
        lines.append(f"{k}: {v}")
    if "content-length" not in names:
        if isinstance(body, (bytes, bytearray, memoryview)):
            lines.append(f"Content-Length: {len(body)}")
        elif body is None and method in _SENDS_BODY:
            lines.append("Content-Length: 0")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1")


def _write(conn: Connection, head: bytes, body) -> None:
    sock = conn.sock
    if body is None:
        sock.sendall(head)
    elif isinstance(body, (bytes, bytearray, memoryview)):
        if len(body) <= 65536:
            sock.sendall(head + bytes(body))
        else:
            sock.sendall(head)
            sock.sendall(body)
    else:  # a file-like object; the caller set Content-Length
        sock.sendall(head)
        while chunk := body.read(BLOCKSIZE):
            sock.sendall(chunk)


def _once(pool: Pool, origin: Origin, method: str, path: str, headers: dict[str, str],
          body) -> Response:
    key = (origin.scheme, origin.host, origin.verify)
    head = _head(method, path, origin.host, headers, body)
    for attempt in (0, 1):
        conn = None
        try:
            conn, reused = pool.take(origin)
            _write(conn, head, body)
            return Response(conn, pool, key, method)
        except (Disconnected, BrokenPipeError, ConnectionResetError) as e:
            if conn is not None:
                conn.close()
            # A kept-alive connection the server closed meanwhile: retry once on a
            # fresh one, if the body can be sent again.
            if conn is not None and reused and attempt == 0 and \
                    (body is None or isinstance(body, bytes)):
                continue
            raise _connect_error(origin, e) from None
        except OSError as e:
            if conn is not None:
                conn.close()
            raise _connect_error(origin, e) from None
    raise AssertionError("unreachable")  # pragma: no cover
