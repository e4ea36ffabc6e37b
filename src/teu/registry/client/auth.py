"""Registry auth: anonymous, Basic, and docker's bearer-token flow.

The first request (the /v2/ ping) answers 401 with a challenge. Basic: send
the stored credentials on every request. Bearer: ask the challenge's realm
for a token (GET realm?service=..&scope=..&scope=.., with Basic credentials
if there are any, anonymously otherwise), then send `Authorization: Bearer`.
Tokens are kept per set of scopes for as long as they are valid and reused
for any request whose scopes they cover; a 401 with `insufficient_scope`
(or a scope the token lacks) gets a new token for the union.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from urllib.parse import urlencode

from teu.registry.client import challenge as C
from teu.registry.client.errors import AuthError, RegistryError
from teu.registry.client.transport import Origin, Pool, send

# Tokens without expires_in live 60 s (the token spec's default); renew a bit early.
DEFAULT_TTL = 60
MARGIN = 10


def scope_actions(scopes: list[str]) -> set[tuple[str, str, str]]:
    """"repository:a/b:pull,push" -> {("repository","a/b","pull"), ("repository","a/b","push")}."""
    out = set()
    for s in scopes:
        kind, _, rest = s.partition(":")
        name, _, actions = rest.rpartition(":")
        for a in actions.split(","):
            if a:
                out.add((kind, name, a))
    return out


def join_scopes(actions: set[tuple[str, str, str]]) -> list[str]:
    by_name: dict[tuple[str, str], list[str]] = {}
    for kind, name, action in sorted(actions):
        by_name.setdefault((kind, name), []).append(action)
    return [f"{k}:{n}:{','.join(a)}" for (k, n), a in sorted(by_name.items())]


class Authenticator:
    def __init__(self, pool: Pool, credentials: tuple[str, str] | None) -> None:
        self.pool = pool
        self.credentials = credentials
        self.kind: str | None = None  # None (anonymous), "basic", "bearer"
        self.realm = ""
        self.service: str | None = None
        self._tokens: list[tuple[set, str, float]] = []
        self._lock = threading.Lock()
        self.token_requests = 0  # for tests: tokens are reused, not fetched per request

    def challenge(self, headers: list[str]) -> None:
        """Take the WWW-Authenticate values of a 401."""
        chs = C.parse_all(headers)
        bearer = next((c for c in chs if c.scheme == "bearer"), None)
        basic = next((c for c in chs if c.scheme == "basic"), None)
        if bearer is not None and bearer.realm:
            self.kind = "bearer"
            self.realm = bearer.realm
            self.service = bearer.params.get("service")
        elif basic is not None:
            self.kind = "basic"
        elif chs:
            raise AuthError(f"unsupported auth scheme {chs[0].scheme!r}")

    def challenge_scope(self, headers: list[str]) -> list[str]:
        for c in C.parse_all(headers):
            if c.scheme == "bearer" and c.params.get("scope"):
                return c.params["scope"].split(" ")
        return []

    def header(self, scopes: list[str]) -> str | None:
        if self.kind == "basic":
            if self.credentials is None:
                return None
            user, password = self.credentials
            return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if self.kind == "bearer":
            return "Bearer " + self.token(scopes)
        return None

    def token(self, scopes: list[str], force: bool = False) -> str:
        want = scope_actions(scopes)
        now = time.monotonic()
        with self._lock:
            self._tokens = [t for t in self._tokens if t[2] > now]
            if not force:
                for have, tok, _ in self._tokens:
                    if want <= have:
                        return tok
            tok, ttl = self._fetch(join_scopes(want))
            self._tokens.append((want, tok, now + max(1, ttl - MARGIN)))
            return tok

    def _fetch(self, scopes: list[str]) -> tuple[str, int]:
        params: list[tuple[str, str]] = []
        if self.service:
            params.append(("service", self.service))
        params += [("scope", s) for s in scopes]
        if self.credentials and self.credentials[0] != "<token>":
            params.append(("account", self.credentials[0]))
        from urllib.parse import urlsplit

        u = urlsplit(self.realm)
        if u.scheme not in ("http", "https") or not u.netloc:
            raise AuthError(f"token realm {self.realm!r} is not an http(s) URL")
        sep = "&" if u.query else "?"
        target = self.realm + (sep + urlencode(params) if params else "")
        headers = {}
        if self.credentials:
            user, password = self.credentials
            headers["Authorization"] = "Basic " + base64.b64encode(
                f"{user}:{password}".encode()).decode()
        origin = Origin(u.scheme, u.netloc)
        self.token_requests += 1
        resp = send(self.pool, origin, "GET", target, headers)
        try:
            body = resp.read()
        finally:
            resp.close()
        if resp.status in (401, 403):
            raise AuthError("authentication required" if not self.credentials
                            else "unauthorized: incorrect username or password", resp.status)
        if resp.status != 200:
            raise RegistryError(f"token service {u.netloc}: HTTP {resp.status}", resp.status)
        try:
            doc = json.loads(body)
            tok = doc.get("token") or doc.get("access_token")
        except (ValueError, AttributeError):
            tok = None
        if not isinstance(tok, str) or not tok:
            raise AuthError(f"token service {u.netloc}: no token in its answer")
        ttl = doc.get("expires_in")
        return tok, ttl if isinstance(ttl, int) and ttl > 0 else DEFAULT_TTL
