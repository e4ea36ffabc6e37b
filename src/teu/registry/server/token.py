"""The built-in bearer token service: HS256 JWTs signed with the server's own key.

Docker's token flow: a client gets 401 with `WWW-Authenticate: Bearer
realm=...,service=...,scope=...`, asks the realm (this server's /token) for
a token with those scopes, authenticating with Basic credentials if it has
them, and retries with `Authorization: Bearer <token>`. The token carries
the granted `access` list; the registry checks it on each request. One key
signs and verifies, since issuer and registry are the same process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from typing import Any


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenError(Exception):
    pass


class TokenSigner:
    def __init__(self, key: bytes, issuer: str, service: str, ttl: int = 300) -> None:
        self.key = key
        self.issuer = issuer
        self.service = service
        self.ttl = ttl

    @staticmethod
    def load_or_create_key(path: str) -> bytes:
        """The signing key kept at `path` (0600), made on first use so tokens survive restarts."""
        try:
            with open(path, "rb") as f:
                key = f.read()
            if len(key) >= 32:
                return key
        except FileNotFoundError:
            pass
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        return key

    def issue(self, subject: str, access: list[dict[str, Any]]) -> tuple[str, int, int]:
        now = int(time.time())
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {"iss": self.issuer, "sub": subject, "aud": self.service, "iat": now,
                  "nbf": now - 10, "exp": now + self.ttl, "jti": secrets.token_hex(8),
                  "access": access}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        sig = hmac.new(self.key, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(sig)}", now, self.ttl

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a token this server issued; TokenError if not valid now."""
        try:
            h, c, s = token.split(".")
            signing_input = f"{h}.{c}"
            want = hmac.new(self.key, signing_input.encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(want, _unb64(s)):
                raise TokenError("bad signature")
            header = json.loads(_unb64(h))
            claims = json.loads(_unb64(c))
        except (ValueError, TypeError) as e:
            raise TokenError(f"malformed token: {e}") from None
        if header.get("alg") != "HS256":
            raise TokenError("unexpected algorithm")
        now = time.time()
        if claims.get("aud") != self.service or claims.get("iss") != self.issuer:
            raise TokenError("token for another service")
        if not (claims.get("nbf", 0) <= now < claims.get("exp", 0)):
            raise TokenError("token expired")
        return claims
