"""Build the app from a Config and run it under uvicorn."""

from __future__ import annotations

import os
import socket
import sys

from teu.errors import TeuError
from teu.registry.server.app import RegistryApp
from teu.registry.server.auth import Authorizer, BasicAuth, NoAuth, TokenAuth
from teu.registry.server.config import Config
from teu.registry.server.htpasswd import Htpasswd
from teu.registry.server.storage.filesystem import FilesystemStorage
from teu.registry.server.token import TokenSigner


def build_authorizer(cfg: Config) -> Authorizer:
    htpasswd = Htpasswd.load(cfg.htpasswd) if cfg.htpasswd else None
    if cfg.token is not None:
        t = cfg.token
        key = TokenSigner.load_or_create_key(t.key_file or os.path.join(cfg.root, "token.key"))
        return TokenAuth(TokenSigner(key, t.issuer, t.service, t.ttl), t.rules, htpasswd, t.realm)
    if htpasswd is not None:
        return BasicAuth(htpasswd)
    return NoAuth()


def build_app(cfg: Config) -> RegistryApp:
    try:
        storage = FilesystemStorage(cfg.root, fsync=cfg.fsync)
    except OSError as e:
        raise TeuError(f"registry root {cfg.root}: {e.strerror}") from None
    return RegistryApp(storage, build_authorizer(cfg), delete_enabled=cfg.delete,
                       read_only=cfg.read_only,
                       access_log=sys.stderr if cfg.access_log else None,
                       upload_expiry=cfg.upload_expiry)


def serve(cfg: Config) -> None:
    host, port = cfg.host_port()
    if bool(cfg.tls_cert) != bool(cfg.tls_key):
        raise TeuError("TLS needs both --tls-cert and --tls-key", 125)
    for path in (cfg.tls_cert, cfg.tls_key):
        if path and not os.access(path, os.R_OK):
            raise TeuError(f"cannot read {path}", 125)
    app = build_app(cfg)
    sock = _listen(host, port)
    import uvicorn  # imported here: the rest of `teu` never pays for it

    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    config = uvicorn.Config(
        app, loop=loop, http="httptools" if _has("httptools") else "h11",
        lifespan="on", access_log=False, log_level="warning",
        ssl_certfile=cfg.tls_cert or None, ssl_keyfile=cfg.tls_key or None,
        # Keep-alive long enough for clients that pause between blobs.
        timeout_keep_alive=30, server_header=False, date_header=True)
    scheme = "https" if cfg.tls_cert else "http"
    print(f"teu registry: serving {cfg.root} on {scheme}://{cfg.addr}", file=sys.stderr,
          flush=True)
    uvicorn.Server(config).run(sockets=[sock])


def _listen(host: str, port: int) -> socket.socket:
    """Bind before anything else, so a busy port is one clear error, not a log line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise TeuError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
