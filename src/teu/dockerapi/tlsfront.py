"""TLS for `teu system service` on tcp:// (dockerd's --tls/--tlsverify), in front of the
app: each connection's TLS is ended here, in a thread, and its bytes go on to the app
over a private unix socket.

Why not the server's own TLS (uvicorn over asyncio's SSL): the docker CLI half-closes a
hijacked attach or exec (Go's tls.Conn.CloseWrite sends close_notify as soon as its stdin
is done) and then reads the output, while asyncio's SSL shuts the whole connection
down on a close_notify, so `docker run` over TLS would print nothing. OpenSSL itself
keeps writing after the peer's close_notify: a blocking SSL socket here passes the
client's end on as a unix socket's shutdown(SHUT_WR), which the app handles as on the
unix socket, and the output still flows back.
"""

from __future__ import annotations

import os
import select
import socket
import ssl
import threading
from dataclasses import dataclass

from teu.errors import TeuError


@dataclass
class TLSConfig:
    """--tlscert/--tlskey, --tlscacert; verify (--tlsverify): only clients whose
    certificate the CA signed."""

    cert: str
    key: str
    cacert: str | None = None
    verify: bool = False


def context(tls: TLSConfig) -> ssl.SSLContext:
    """The server's context; a missing or bad file refused in one line, before anything
    listens."""
    for what, path in (("--tlscert", tls.cert), ("--tlskey", tls.key),
                       ("--tlscacert", tls.cacert)):
        if path is not None and not os.path.isfile(path):
            raise TeuError(f"{what} {path}: no such file", 125)
    if tls.verify and not tls.cacert:
        raise TeuError("--tlsverify needs --tlscacert (the CA that signs the clients)", 125)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # dockerd's minimum too
    try:
        ctx.load_cert_chain(tls.cert, tls.key)
        if tls.cacert:
            ctx.load_verify_locations(tls.cacert)
    except ssl.SSLError as e:
        raise TeuError(f"TLS: cannot load the certificate, key or CA: {e.reason or e}",
                       125) from None
    ctx.verify_mode = ssl.CERT_REQUIRED if tls.verify else ssl.CERT_NONE
    return ctx


def start(listener: socket.socket, ctx: ssl.SSLContext, backend: str) -> None:
    """Accept TLS clients on `listener` (a thread), each passed on to the unix socket
    at `backend`."""
    threading.Thread(target=_accept, args=(listener, ctx, backend), daemon=True,
                     name="teu-api-tls").start()


def _accept(listener: socket.socket, ctx: ssl.SSLContext, backend: str) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_serve_one, args=(conn, ctx, backend), daemon=True,
                         name="teu-api-tls-conn").start()


def _serve_one(conn: socket.socket, ctx: ssl.SSLContext, backend: str) -> None:
    conn.settimeout(30)  # for the handshake
    tls = ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
    try:
        tls.do_handshake()
    except (OSError, ssl.SSLError):  # no certificate, another CA's, not TLS at all
        _close_gently(tls)
        return
    tls.settimeout(None)
    app = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        app.connect(backend)
        _pump(tls, app)
    except (OSError, ssl.SSLError):
        pass
    finally:
        app.close()
        tls.close()


def _close_gently(tls: ssl.SSLSocket) -> None:
    """Close after a refused handshake so that the client reads OpenSSL's alert (say, a
    certificate required) rather than a reset: its request, unread, would make the
    kernel answer a plain close with RST, which can overtake the alert."""
    raw = socket.socket(fileno=os.dup(tls.fileno())) if tls.fileno() >= 0 else None
    tls.close()
    if raw is None:
        return
    try:
        raw.settimeout(1)
        raw.shutdown(socket.SHUT_WR)
        while raw.recv(1 << 16):  # the client's bytes, until it closes (or a second)
            pass
    except OSError:
        pass
    finally:
        raw.close()


def _pump(tls: ssl.SSLSocket, app: socket.socket) -> None:
    """Both ways in one thread (an SSL object is not for two threads at once): the
    client's close_notify becomes the app's SHUT_WR; the app's end ends the connection."""
    client_open = True
    while True:
        ready = [tls] if client_open and tls.pending() else \
            select.select([tls, app] if client_open else [app], [], [])[0]
        if tls in ready:
            tls.setblocking(False)  # a record not whole yet, or no application data
            try:
                data = tls.recv(1 << 16)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                data = None
            finally:
                tls.setblocking(True)
            if data is None:
                pass
            elif data:
                app.sendall(data)
            else:
                client_open = False
                app.shutdown(socket.SHUT_WR)
        if app in ready:
            data = app.recv(1 << 16)
            if not data:
                return
            tls.sendall(data)
