"""Registry errors: HTTP status plus the spec's error codes, in one line."""

from __future__ import annotations

from teu import errors
from teu.errors import TeuError


class RegistryError(TeuError):
    exit_code = 125

    def __init__(self, message: str, status: int | None = None,
                 codes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.codes = codes


class AuthError(RegistryError):
    """The registry or its token service refused our credentials (or wants some)."""


class NotFound(RegistryError, errors.NotFound):
    """No such manifest, blob or repository."""


class Unreachable(RegistryError):
    """Connection refused, DNS failure, TLS failure: the registry cannot be talked to."""


def from_response(status: int, body: bytes, what: str) -> RegistryError:
    """An error from a registry's answer: `what`: `code: message` of each error entry."""
    import json

    codes: list[str] = []
    texts: list[str] = []
    try:
        doc = json.loads(body) if body else {}
        for e in doc.get("errors") or []:
            code = str(e.get("code", "")).upper()
            msg = str(e.get("message", "")).strip()
            codes.append(code)
            texts.append(f"{code.lower().replace('_', ' ')}: {msg}" if msg else code.lower())
    except (ValueError, AttributeError, TypeError):
        pass
    detail = "; ".join(texts) or f"HTTP {status}"
    if status == 401 or "UNAUTHORIZED" in codes or "DENIED" in codes or status == 403:
        cls: type[RegistryError] = AuthError
    elif status == 404:
        cls = NotFound
    else:
        cls = RegistryError
    return cls(f"{what}: {detail}", status, tuple(codes))
