"""Server configuration: a small TOML file, overridden by command-line flags.

    [storage]
    root = "/var/lib/teu/registry"
    delete = false            # allow DELETE of manifests, tags and blobs
    read_only = false
    upload_expiry = 86400     # seconds an idle upload session is kept
    fsync = true

    [http]
    addr = "127.0.0.1:5000"
    tls_cert = ""             # both set: serve HTTPS
    tls_key = ""

    [auth]
    htpasswd = ""             # alone: basic auth, every user may do everything

    [auth.token]              # present: bearer tokens from this server's /token
    realm = ""                # default: <scheme>://<host>/token
    service = "teu-registry"
    issuer = "teu-registry"
    ttl = 300
    key_file = ""             # default: <root>/token.key
    [[auth.token.access]]
    account = "alice"         # "*" any signed-in user, "" everyone incl. anonymous
    repository = "team/*"     # fnmatch glob
    actions = ["pull", "push"]
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from teu.errors import TeuError
from teu.registry.server.access import Rule

DEFAULT_ROOT = "/var/lib/teu/registry"
DEFAULT_ADDR = "127.0.0.1:5000"


@dataclass
class TokenConfig:
    realm: str = ""
    service: str = "teu-registry"
    issuer: str = "teu-registry"
    ttl: int = 300
    key_file: str = ""
    rules: list[Rule] = field(default_factory=list)


@dataclass
class Config:
    root: str = DEFAULT_ROOT
    addr: str = DEFAULT_ADDR
    tls_cert: str = ""
    tls_key: str = ""
    htpasswd: str = ""
    token: TokenConfig | None = None
    delete: bool = False
    read_only: bool = False
    upload_expiry: float = 86400.0
    fsync: bool = True
    access_log: bool = True

    def host_port(self) -> tuple[str, int]:
        host, sep, port = self.addr.rpartition(":")
        if not sep or not port.isdigit():
            raise TeuError(f"--addr {self.addr!r}: expected HOST:PORT", 125)
        host = host.strip("[]") or "0.0.0.0"
        return host, int(port)


def _typed(section: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = section.get(key)
    if value is None:
        return None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TeuError(f"{where}.{key}: must be {kind.__name__}", 125)
    return value


def load(path: str | None) -> Config:
    cfg = Config()
    if not path:
        return cfg
    import tomllib

    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as e:
        raise TeuError(f"config {path}: {e.strerror}", 125) from None
    except tomllib.TOMLDecodeError as e:
        raise TeuError(f"config {path}: {e}", 125) from None
    storage = doc.get("storage", {})
    http = doc.get("http", {})
    auth = doc.get("auth", {})
    for name, kind in (("root", str), ("delete", bool), ("read_only", bool),
                       ("upload_expiry", float), ("fsync", bool)):
        v = _typed(storage, name, kind, "storage")
        if v is not None:
            setattr(cfg, name, v)
    for name in ("addr", "tls_cert", "tls_key"):
        v = _typed(http, name, str, "http")
        if v is not None:
            setattr(cfg, name, v)
    v = _typed(http, "access_log", bool, "http")
    if v is not None:
        cfg.access_log = v
    base = os.path.dirname(os.path.abspath(path))
    htp = _typed(auth, "htpasswd", str, "auth")
    if htp:
        cfg.htpasswd = os.path.join(base, htp)
    tok = auth.get("token")
    if tok is not None:
        t = TokenConfig()
        for name, kind in (("realm", str), ("service", str), ("issuer", str), ("ttl", int),
                           ("key_file", str)):
            v = _typed(tok, name, kind, "auth.token")
            if v is not None:
                setattr(t, name, v)
        for i, rule in enumerate(tok.get("access", [])):
            where = f"auth.token.access[{i}]"
            actions = rule.get("actions", [])
            if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
                raise TeuError(f"{where}.actions: must be a list of strings", 125)
            t.rules.append(Rule(
                account=_typed(rule, "account", str, where) or "",
                repository=_typed(rule, "repository", str, where) or "*",
                actions=frozenset(actions)))
        cfg.token = t
    return cfg
