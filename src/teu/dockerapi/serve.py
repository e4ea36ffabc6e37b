"""`teu system service`: a socket (unix, loopback TCP, or one systemd passes), the app,
and uvicorn, the server `teu registry serve` uses too."""

from __future__ import annotations

import contextlib
import grp
import ipaddress
import os
import socket
import stat
import sys
from dataclasses import dataclass

from teu.dockerapi.tlsfront import TLSConfig
from teu.errors import TeuError

DEFAULT_URI = "unix:///run/teu/teu.sock"
GRACE = 2  # seconds a stopping service gives the requests in flight


@dataclass
class ServiceConfig:
    uri: str = DEFAULT_URI
    idle_timeout: float = 5.0  # podman's default: exit after 5 idle seconds
    root: str | None = None
    runroot: str | None = None
    group: str | None = None  # the socket's group (default: "docker" when it exists)
    tls: TLSConfig | None = None


def listen(uri: str, group: str | None = None, tls: TLSConfig | None = None) -> socket.socket:
    """The listening socket for unix:///path or tcp://HOST:PORT. A TCP address off
    loopback only with TLS (the API is root on this machine), and with a warning unless
    clients are verified, as dockerd."""
    if uri.startswith("unix://"):
        if tls is not None:
            raise TeuError("--tls* options are for tcp:// addresses", 125)
        return _listen_unix(uri[len("unix://"):], group)
    if uri.startswith("tcp://"):
        host, _, port = uri[len("tcp://"):].rstrip("/").rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback and tls is None:
            raise TeuError(f"refusing to serve the Engine API on {host} without TLS: it "
                           "gives root on this machine to anyone who reaches the port; use "
                           "--tlsverify with --tlscacert, --tlscert and --tlskey, a unix "
                           "socket, or a loopback address", 125)
        if not loopback and not tls.verify:  # type: ignore[union-attr]
            print(f"teu system service: WARNING: serving on {host} with --tls but without "
                  "--tlsverify: anyone who reaches the port is root on this machine",
                  file=sys.stderr, flush=True)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, int(port)))
        except (OSError, ValueError) as e:
            sock.close()
            raise TeuError(f"cannot listen on {uri}: {getattr(e, 'strerror', None) or e}",
                           125) from None
        sock.listen(1024)
        return sock
    raise TeuError(f"unsupported URI {uri!r}: use unix:///PATH or tcp://127.0.0.1:PORT", 125)


def _listen_unix(path: str, group: str | None) -> socket.socket:
    if not path.startswith("/"):
        raise TeuError(f"unix socket path must be absolute: {path!r}", 125)
    os.makedirs(os.path.dirname(path), mode=0o711, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(path)
                raise TeuError(f"{path}: another service is listening there", 125)
            except (ConnectionRefusedError, FileNotFoundError):
                os.unlink(path)  # a stale socket of a service that died
            finally:
                probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
    except OSError as e:
        sock.close()
        raise TeuError(f"cannot listen on {path}: {e.strerror}", 125) from None
    os.chmod(path, 0o660)
    gid = _gid(group)
    if gid is not None:
        os.chown(path, -1, gid)
    sock.listen(1024)
    return sock


def _gid(group: str | None) -> int | None:
    try:
        return grp.getgrnam(group or "docker").gr_gid
    except KeyError:
        if group:
            raise TeuError(f"no such group: {group}", 125) from None
        return None


def activated_socket() -> socket.socket | None:
    """The socket systemd passed (LISTEN_FDS/LISTEN_PID, fd 3), if any."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or \
            int(os.environ.get("LISTEN_FDS") or 0) < 1:
        return None
    return socket.socket(fileno=3)


def serve(cfg: ServiceConfig) -> None:
    from teu.dockerapi.app import DockerAPI
    from teu.dockerapi.service import Service

    activated = activated_socket()
    tls_context = None
    if cfg.tls is not None:
        from teu.dockerapi import tlsfront

        tls_context = tlsfront.context(cfg.tls)  # a bad file refused before any listening
    sock = activated or listen(cfg.uri, cfg.group, cfg.tls)
    private = None
    if tls_context is not None:  # TLS ends in teu.dockerapi.tlsfront; the app gets the rest
        import tempfile

        private = tempfile.mkdtemp(prefix="teu-api-tls-")
        inner = os.path.join(private, "app.sock")
        tlsfront.start(sock, tls_context, inner)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(inner)
        sock.listen(1024)
    sock.set_inheritable(True)
    import uvicorn  # here: the rest of `teu` never pays for it

    server: uvicorn.Server | None = None

    def on_idle() -> None:
        if server is not None:
            server.should_exit = True

    app = DockerAPI(Service(cfg.root, cfg.runroot), cfg.idle_timeout, on_idle)
    from teu.dockerapi.hijack import protocol_class

    if _has("httptools"):
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    else:
        from uvicorn.protocols.http.h11_impl import H11Protocol as base
    config = uvicorn.Config(app, loop="uvloop" if _has("uvloop") else "asyncio",
                            http=protocol_class(base, app.hijack),
                            lifespan="on", access_log=False, log_level="warning",
                            timeout_keep_alive=30, server_header=False, date_header=True,
                            # a SIGTERM waits this long for requests in flight: a wait or
                            # a logs -f on a running container would never end
                            timeout_graceful_shutdown=GRACE)
    server = uvicorn.Server(config)
    where = sock.getsockname()
    print(f"teu system service: serving the Docker Engine API on "
          f"{cfg.uri if isinstance(where, str) else where}", file=sys.stderr, flush=True)
    import signal

    # uvicorn re-raises the signal it shut down on once it is done: a handler of ours
    # takes it, so the cleanup below runs (the TLS front's private socket, ours) and the
    # service exits 0, as dockerd does on SIGTERM
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    try:
        server.run(sockets=[sock])
    finally:
        if private is not None:
            import shutil

            shutil.rmtree(private, ignore_errors=True)
        if activated is None and sock.family == socket.AF_UNIX and isinstance(where, str) \
                and where:
            with contextlib.suppress(OSError):
                os.unlink(where)
    # Threads still blocked on containers (a wait, a follow) never return by themselves,
    # and the interpreter's exit would join them: leave as dockerd does, at once.
    sys.stderr.flush()
    os._exit(0)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
