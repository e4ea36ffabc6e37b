"""Who is asking, and may they: none, htpasswd basic auth, or this server's bearer tokens."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Protocol

from teu.registry.server.access import Access, Rule, covers, granted, parse_scopes
from teu.registry.server.errors import RegistryError
from teu.registry.server.htpasswd import Htpasswd
from teu.registry.server.token import TokenError, TokenSigner


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header[:6].lower() == "basic ":
        return None
    try:
        user, sep, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (user, password) if sep else None


class Authorizer(Protocol):
    def check(self, headers: dict[str, str], need: list[Access], base_url: str) -> str | None:
        """The account name (None: anonymous) if allowed; else raise RegistryError."""
        ...

    def can(self, headers: dict[str, str], access: Access) -> bool:
        """Whether the request may also do `access` (an optional extra, never a 401)."""
        ...


class NoAuth:
    def check(self, headers: dict[str, str], need: list[Access], base_url: str) -> str | None:
        return None

    def can(self, headers: dict[str, str], access: Access) -> bool:
        return True


class BasicAuth:
    """htpasswd users may do everything; others get 401 with a Basic challenge."""

    def __init__(self, htpasswd: Htpasswd, realm: str = "teu-registry") -> None:
        self.htpasswd = htpasswd
        self.realm = realm

    def check(self, headers: dict[str, str], need: list[Access], base_url: str) -> str | None:
        creds = basic_credentials(headers.get("authorization"))
        if creds and self.htpasswd.verify(*creds):
            return creds[0]
        raise RegistryError("UNAUTHORIZED", headers={
            "WWW-Authenticate": f'Basic realm="{self.realm}"'})

    def can(self, headers: dict[str, str], access: Access) -> bool:
        return True  # check() already let this user in, and users may do everything


class TokenAuth:
    """Bearer tokens issued by `issue` (the /token endpoint), checked against their scopes."""

    def __init__(self, signer: TokenSigner, rules: list[Rule], htpasswd: Htpasswd | None,
                 realm: str = "") -> None:
        self.signer = signer
        self.rules = rules
        self.htpasswd = htpasswd
        self.realm = realm

    def challenge(self, need: list[Access], base_url: str, error: str | None = None) -> dict:
        realm = self.realm or f"{base_url}/token"
        parts = [f'realm="{realm}"', f'service="{self.signer.service}"']
        scopes: dict[tuple[str, str], list[str]] = {}
        for a in need:
            scopes.setdefault((a.type, a.name), []).append(a.action)
        if scopes:
            scope = " ".join(f"{t}:{n}:{','.join(acts)}" for (t, n), acts in scopes.items())
            parts.append(f'scope="{scope}"')
        if error:
            parts.append(f'error="{error}"')
        return {"WWW-Authenticate": "Bearer " + ",".join(parts)}

    def check(self, headers: dict[str, str], need: list[Access], base_url: str) -> str | None:
        header = headers.get("authorization", "")
        if header[:7].lower() != "bearer ":
            raise RegistryError("UNAUTHORIZED", headers=self.challenge(need, base_url))
        try:
            claims = self.signer.verify(header[7:].strip())
        except TokenError as e:
            raise RegistryError("UNAUTHORIZED", detail=str(e),
                                headers=self.challenge(need, base_url, "invalid_token")) from None
        grants = claims.get("access") or []
        missing = [a for a in need if not covers(grants, a)]
        if missing:
            raise RegistryError("UNAUTHORIZED", detail=[a.scope() for a in missing],
                                message="authentication required: insufficient scope",
                                headers=self.challenge(need, base_url, "insufficient_scope"))
        return claims.get("sub") or None

    def can(self, headers: dict[str, str], access: Access) -> bool:
        header = headers.get("authorization", "")
        if header[:7].lower() != "bearer ":
            return False
        try:
            claims = self.signer.verify(header[7:].strip())
        except TokenError:
            return False
        return covers(claims.get("access") or [], access)

    def issue(self, authorization: str | None, scopes: list[str]) -> dict:
        """A token for what the (optional) Basic credentials may have of `scopes`.

        Like distribution's token servers, scopes the account may not have are
        left out rather than refused; the registry then answers 401 for them.
        Wrong credentials are refused outright.
        """
        account: str | None = None
        creds = basic_credentials(authorization)
        if creds is not None:
            if self.htpasswd is None or not self.htpasswd.verify(*creds):
                raise RegistryError("UNAUTHORIZED", message="invalid username or password",
                                    headers={"WWW-Authenticate": 'Basic realm="teu-registry"'})
            account = creds[0]
        elif authorization:
            raise RegistryError("UNAUTHORIZED", message="unsupported authorization")
        allowed = granted(self.rules, account, parse_scopes(scopes))
        access: dict[tuple[str, str], list[str]] = {}
        for a in allowed:
            access.setdefault((a.type, a.name), []).append(a.action)
        claims = [{"type": t, "name": n, "actions": acts} for (t, n), acts in access.items()]
        token, issued, ttl = self.signer.issue(account or "", claims)
        return {"token": token, "access_token": token, "expires_in": ttl,
                "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(issued))}
