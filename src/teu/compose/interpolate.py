"""Variable substitution in Compose files: `$V`, `${V}`, `${V:-d}`, `${V-d}`,
`${V:?e}`, `${V?e}`, `${V:+x}`, `${V+x}`, nested defaults, and `$$` for a literal `$`.

Applies to values only (never to mapping keys), before files are merged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from teu.compose.errors import ComposeError

_NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_NAME = _NAME_START + "0123456789"


class MissingVariable(ComposeError):
    """`${V:?e}` or `${V?e}` with V unset (or empty)."""


def substitute(text: str, env: Mapping[str, str],
               warn: Callable[[str], None] | None = None) -> str:
    """`text` with every variable replaced from `env`."""
    if "$" not in text:
        return text
    out, _ = _scan(text, 0, env, warn, stop=None)
    return out


def _scan(text: str, i: int, env: Mapping[str, str], warn, stop: str | None) -> tuple[str, int]:
    """Substitute from i until the end (or an unmatched `stop` char); (result, index)."""
    parts: list[str] = []
    n = len(text)
    while i < n:
        ch = text[i]
        if stop is not None and ch == stop:
            return "".join(parts), i
        if ch != "$":
            parts.append(ch)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        if nxt == "$":
            parts.append("$")
            i += 2
        elif nxt == "{":
            value, i = _braced(text, i + 2, env, warn)
            parts.append(value)
        elif nxt and nxt in _NAME_START:
            j = i + 1
            while j < n and text[j] in _NAME:
                j += 1
            parts.append(_lookup(text[i + 1:j], env, warn))
            i = j
        else:
            parts.append("$")  # not a variable: kept as is
            i += 1
    if stop is not None:
        raise ComposeError(f"invalid interpolation format for {text!r}: missing '}}'")
    return "".join(parts), i


def _lookup(name: str, env: Mapping[str, str], warn) -> str:
    if name in env:
        return env[name]
    if warn:
        warn(f'The "{name}" variable is not set. Defaulting to a blank string.')
    return ""


def _braced(text: str, i: int, env: Mapping[str, str], warn) -> tuple[str, int]:
    """`${...}` whose body starts at i; (value, index after the closing brace)."""
    n = len(text)
    j = i
    while j < n and text[j] in _NAME:
        j += 1
    name = text[i:j]
    if not name or name[0] not in _NAME_START:
        raise ComposeError(f"invalid interpolation format for {text!r}: "
                           f"'${{{text[i:].split('}')[0]}}}' is not a variable")
    if j >= n:
        raise ComposeError(f"invalid interpolation format for {text!r}: missing '}}'")
    if text[j] == "}":
        return _lookup(name, env, warn), j + 1
    colon = text[j] == ":"
    op_at = j + 1 if colon else j
    op = text[op_at] if op_at < n else ""
    if op not in "-?+" or not op:
        raise ComposeError(f"invalid interpolation format for {text!r}: "
                           f"unsupported operator after ${{{name}")
    # The word after the operator may itself hold variables (nesting); it is
    # substituted only when it is used, as a shell does.
    word_start = op_at + 1
    _, end = _scan(text, word_start, _ANY, None, stop="}")
    value = env.get(name)
    unset = value is None
    empty = unset or (colon and value == "")
    word = lambda: _scan(text, word_start, env, warn, stop="}")[0]  # noqa: E731
    if op == "-":
        result = word() if empty else value
    elif op == "+":
        result = "" if empty else word()
    else:  # "?": required
        if empty:
            message = word()
            raise MissingVariable(f"required variable {name} is missing a value"
                                  + (f": {message}" if message else ""))
        result = value
    return result, end + 1


class _AnyEnv(dict):
    """Every variable set: finds where a word ends without failing on `?` inside it."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> str:
        return "x"

    def get(self, key, default=None):  # type: ignore[override]
        return "x"


_ANY = _AnyEnv()


def interpolate(node: Any, env: Mapping[str, str], warn=None, path: str = "",
                file: str = "", line: int = 0) -> Any:
    """A copy of a parsed file (or part of it) with every string value substituted.
    Keys stay as written; the Mapping/Sequence line tables are kept. An error names
    `file:line:` (when given) before docker compose's own words."""
    from teu.compose.yamlfile import Mapping as YMap
    from teu.compose.yamlfile import Override, Sequence

    if isinstance(node, str):
        try:
            return substitute(node, env, warn)
        except ComposeError as e:
            where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
            text = f"error while interpolating {path}: {e}" if path else str(e)
            raise type(e)(where + text) from None
    if isinstance(node, dict):
        out = YMap()
        out.lines = getattr(node, "lines", {})
        out.start = getattr(node, "start", 0)
        for k, v in node.items():
            out[k] = interpolate(v, env, warn, f"{path}.{k}" if path else str(k), file,
                                 out.lines.get(k, line))
        return out
    if isinstance(node, list):
        lines = getattr(node, "lines", [])
        seq = Sequence(interpolate(v, env, warn, f"{path}[{i}]", file,
                                   lines[i] if i < len(lines) else line)
                       for i, v in enumerate(node))
        seq.lines = lines
        seq.start = getattr(node, "start", 0)
        return seq
    if isinstance(node, Override):
        return Override(interpolate(node.value, env, warn, path, file, line))
    return node
