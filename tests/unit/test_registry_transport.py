"""The registry client's HTTP/1.1 framing (teu.registry.client.transport), over bytes.

Integration tests drive the transport against real registries (docker-registry,
teu's own, skopeo's peers); these pin the framing cases those rarely produce."""

from __future__ import annotations

import io

import pytest

from teu.registry.client import transport as T


class _Conn:
    def __init__(self, data: bytes) -> None:
        self.rfile = io.BytesIO(data)
        self.closed = False

    def close(self) -> None:
        self.closed = True


def _resp(data: bytes, method: str = "GET") -> tuple[T.Response, _Conn, T.Pool]:
    conn, pool = _Conn(data), T.Pool()
    return T.Response(conn, pool, ("http", "h", True), method), conn, pool  # type: ignore[arg-type]


def test_content_length_and_keep_alive() -> None:
    r, conn, pool = _resp(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhelloNEXT")
    assert r.status == 200 and r.header("x-A") == "1" and r.header_all("X-A") == ["1", "2"]
    assert r.read(2) == b"he" and r.read() == b"llo" and r.read() == b""
    r.close()
    assert not conn.closed and pool.take(T.Origin("http", "h"))[0] is conn


def test_chunked_with_trailers_and_readinto() -> None:
    r, conn, _ = _resp(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n")
    buf = bytearray(5)
    n = r.readinto(buf)
    assert bytes(buf[:n]) == b"abcde"
    assert r.read() == b"fg" and r.isclosed()


def test_truncated_body_is_an_oserror() -> None:
    r, conn, _ = _resp(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    with pytest.raises(T.Truncated) as e:
        r.read()
    assert isinstance(e.value, OSError) and "truncated" in e.value.strerror
    r.close()
    assert conn.closed


def test_bodyless_responses_and_continue() -> None:
    r, _, _ = _resp(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", method="HEAD")
    assert r.read() == b"" and r.isclosed()
    r, _, _ = _resp(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", method="PUT")
    assert r.status == 204 and r.read() == b""


def test_until_close_and_connection_close() -> None:
    r, conn, _ = _resp(b"HTTP/1.0 200 OK\r\n\r\nall of it")
    assert r.read() == b"all of it"
    r.close()
    assert conn.closed
    r, conn, _ = _resp(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx")
    assert r.read() == b"x"
    r.close()
    assert conn.closed


@pytest.mark.parametrize("data", [b"", b"garbage\r\n\r\n", b"HTTP/1.1 2000 OK\r\n\r\n",
                                  b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
                                  b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"])
def test_broken_responses_raise_oserror(data: bytes) -> None:
    with pytest.raises(OSError):
        _resp(data)


def test_request_head_sets_lengths_and_refuses_injection() -> None:
    head = T._head("PUT", "/v2/x", "h:5000", {"A": "1"}, b"body")
    assert head.startswith(b"PUT /v2/x HTTP/1.1\r\nHost: h:5000\r\n")
    assert b"Content-Length: 4\r\n" in head and head.endswith(b"\r\n\r\n")
    assert b"Content-Length: 0\r\n" in T._head("POST", "/", "h", {}, None)
    assert b"Content-Length" not in T._head("GET", "/", "h", {}, None)
    with pytest.raises(ValueError):
        T._head("GET", "/", "h", {"A": "1\r\nB: 2"}, None)


def test_quote_matches_urllib() -> None:
    from urllib.parse import quote as q

    from teu.registry.client.remote import quote

    for text, safe in [("application/vnd.dev.cosign.artifact.sig.v1+json", ""),
                       ("sha256:ab", ":"), ("a b/é~", ""), ("v1", ":@")]:
        assert quote(text, safe) == q(text, safe=safe)
