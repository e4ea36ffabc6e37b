"""WWW-Authenticate challenges (RFC 7235), as registries send them.

    Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"
    Basic realm="Registry Realm"

A header may carry several challenges, and parameters may be quoted strings
with backslash escapes or bare tokens; scheme names are case-insensitive.
"""

from __future__ import annotations

from teu.slotted import Slotted

_TOKEN_CHARS = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class Challenge(Slotted):
    """One WWW-Authenticate challenge (a plain class: the client path imports no dataclasses)."""

    __slots__ = ("scheme", "params")

    def __init__(self, scheme: str, params: dict[str, str] | None = None) -> None:
        self.scheme = scheme                                   # lowercase: "bearer", "basic"
        self.params = {} if params is None else params         # names lowercased

    @property
    def realm(self) -> str | None:
        return self.params.get("realm")


def parse(header: str) -> list[Challenge]:
    """All challenges in one WWW-Authenticate value; malformed tails are ignored."""
    out: list[Challenge] = []
    s = header
    i, n = 0, len(s)

    def skip_ws(i: int) -> int:
        while i < n and s[i] in " \t":
            i += 1
        return i

    def token(i: int) -> tuple[str, int]:
        j = i
        while j < n and s[j] in _TOKEN_CHARS:
            j += 1
        return s[i:j], j

    while i < n:
        i = skip_ws(i)
        while i < n and s[i] == ",":
            i = skip_ws(i + 1)
        scheme, i = token(i)
        if not scheme:
            break
        ch = Challenge(scheme.lower())
        out.append(ch)
        i = skip_ws(i)
        # Parameters: name=value pairs separated by commas, until the next scheme.
        while i < n:
            save = i
            name, j = token(i)
            j = skip_ws(j)
            if not name or j >= n or s[j] != "=":
                i = save
                break
            j = skip_ws(j + 1)
            if j < n and s[j] == '"':
                j += 1
                buf = []
                while j < n and s[j] != '"':
                    if s[j] == "\\" and j + 1 < n:
                        j += 1
                    buf.append(s[j])
                    j += 1
                value = "".join(buf)
                j += 1  # closing quote
            else:
                # Unquoted: RFC 7235 says token, but realms like https://x/t are seen
                # bare in the wild; read to the next comma or space.
                k = j
                while k < n and s[k] not in ", \t":
                    k += 1
                value, j = s[j:k], k
            ch.params[name.lower()] = value
            j = skip_ws(j)
            if j < n and s[j] == ",":
                j = skip_ws(j + 1)
            i = j
    return out


def parse_all(headers: list[str]) -> list[Challenge]:
    out: list[Challenge] = []
    for h in headers:
        out.extend(parse(h))
    return out
