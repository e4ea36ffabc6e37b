"""`.env` files (the project's, `--env-file`, and services' `env_file`), as compose-go
reads them: `KEY=VALUE` lines, `export ` prefixes, `#` comments, single quotes
literal, double quotes with escapes and interpolation, unquoted values trimmed and
cut at ` #`, `${VAR}` expanded from what is already known."""

from __future__ import annotations

from collections.abc import Mapping

from teu.compose.errors import ComposeError

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "$": "\\$"}


def parse(text: str, name: str, lookup: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables of a dotenv file, in order; ComposeError names file and line."""
    from teu.compose.interpolate import substitute

    out: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        i += 1
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        key, eq, value = line.partition("=")
        key = key.strip()
        if not eq:
            if key and all(c.isalnum() or c in "_.-" for c in key):
                # A bare name: the variable comes from the environment, if set there.
                if lookup is not None and key in lookup:
                    out[key] = lookup[key]
                continue
            raise ComposeError(f"{name}:{lineno}: unexpected character in variable name "
                               f"{key!r}")
        if not key or any(c.isspace() for c in key):
            raise ComposeError(f"{name}:{lineno}: invalid variable name {key!r}")
        value = value.lstrip()
        if value[:1] in ("'", '"'):
            quote = value[0]
            body = value[1:]
            # A quoted value may span lines.
            while _closing(body, quote) < 0 and i < len(lines):
                body += "\n" + lines[i]
                i += 1
            end = _closing(body, quote)
            if end < 0:
                raise ComposeError(f"{name}:{lineno}: unterminated quoted value for {key}")
            body = body[:end]
            if quote == '"':
                body = _unescape(body)
                env = {**(lookup or {}), **out}
                body = substitute(body, env).replace("\\$", "$")
            out[key] = body
            continue
        hash_at = value.find(" #")
        if hash_at >= 0:
            value = value[:hash_at]
        value = value.strip()
        out[key] = substitute(value, {**(lookup or {}), **out})
    return out


def _closing(body: str, quote: str) -> int:
    j = 0
    while j < len(body):
        if body[j] == "\\" and quote == '"':
            j += 2
            continue
        if body[j] == quote:
            return j
        j += 1
    return -1


def _unescape(body: str) -> str:
    out = []
    j = 0
    while j < len(body):
        ch = body[j]
        if ch == "\\" and j + 1 < len(body):
            out.append(_ESCAPES.get(body[j + 1], "\\" + body[j + 1]))
            j += 2
            continue
        out.append(ch)
        j += 1
    return "".join(out)


def read(path: str, lookup: Mapping[str, str] | None = None) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise ComposeError(f"env file {path} not found") from None
    except UnicodeDecodeError:
        raise ComposeError(f"{path}: not a UTF-8 text file") from None
    return parse(text, path, lookup)
