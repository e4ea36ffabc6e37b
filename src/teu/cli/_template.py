"""A small Go text/template, enough for docker's --format strings.

    {{.Field.Sub}}  {{json .Config}}  {{index .RepoTags 0}}  {{join .RepoTags ", "}}
    {{len .Layers}}  {{upper .X}}  {{lower .X}}  {{.X | json}}  {{println .X}}
    {{range .RepoTags}}{{.}} {{end}}  {{if .X}}..{{else}}..{{end}}  {{printf "%s:%d" .A .B}}

Values print as Go prints them: a list as [a b], a map as map[k:v], a
missing field as <no value>. `table` at the start (docker's) is the
caller's business: see `split_table`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from teu.errors import TeuError

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\S+')


class TemplateError(TeuError):
    exit_code = 125


def go_str(v: Any) -> str:
    if v is None:
        return "<no value>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list | tuple):
        return "[" + " ".join(go_str(x) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_str(v[k])}" for k in sorted(v)) + "]"
    return str(v)


def split_table(fmt: str) -> tuple[bool, str]:
    if fmt.startswith("table"):
        return True, fmt[5:].lstrip()
    return False, fmt


def _unescape(fmt: str) -> str:
    return fmt.replace("\\t", "\t").replace("\\n", "\n")


class Template:
    def __init__(self, text: str) -> None:
        self.nodes = self._parse(_unescape(text))

    def _parse(self, text: str) -> list:
        # Tokens: ("text", s) or ("act", s); then nest range/if blocks.
        toks: list[tuple[str, str]] = []
        pos = 0
        for m in _ACTION.finditer(text):
            if m.start() > pos:
                toks.append(("text", text[pos:m.start()]))
            toks.append(("act", m.group(1)))
            pos = m.end()
        if pos < len(text):
            toks.append(("text", text[pos:]))
        nodes, rest = self._block(toks, 0)
        if rest != len(toks):
            raise TemplateError(f"template: unexpected {toks[rest][1]!r}")
        return nodes

    def _block(self, toks: list, i: int) -> tuple[list, int]:
        out: list = []
        while i < len(toks):
            kind, s = toks[i]
            if kind == "text":
                out.append(("text", s))
                i += 1
                continue
            word = s.split(None, 1)[0] if s else ""
            if word in ("end", "else"):
                return out, i
            if word in ("range", "if", "with"):
                body, j = self._block(toks, i + 1)
                other: list = []
                if j < len(toks) and toks[j][1] == "else":
                    other, j = self._block(toks, j + 1)
                if j >= len(toks) or toks[j][1] != "end":
                    raise TemplateError(f"template: {word} without end")
                out.append((word, s[len(word):].strip(), body, other))
                i = j + 1
                continue
            out.append(("act", s))
            i += 1
        return out, i

    def render(self, data: Any) -> str:
        buf: list[str] = []
        self._run(self.nodes, data, buf)
        return "".join(buf)

    def _run(self, nodes: list, dot: Any, buf: list[str]) -> None:
        for node in nodes:
            kind = node[0]
            if kind == "text":
                buf.append(node[1])
            elif kind == "act":
                v = self._pipeline(node[1], dot)
                buf.append(go_str(v))
            elif kind == "range":
                v = self._pipeline(node[1], dot)
                items = list(v.values()) if isinstance(v, dict) else list(v or [])
                if items:
                    for item in items:
                        self._run(node[2], item, buf)
                else:
                    self._run(node[3], dot, buf)
            elif kind in ("if", "with"):
                v = self._pipeline(node[1], dot)
                if v:
                    self._run(node[2], v if kind == "with" else dot, buf)
                else:
                    self._run(node[3], dot, buf)

    def _pipeline(self, text: str, dot: Any) -> Any:
        value: Any = None
        first = True
        for part in text.split("|"):
            args = _TOKEN.findall(part.strip())
            if not args:
                raise TemplateError(f"template: empty command in {text!r}")
            if first:
                value = self._command(args, dot, None, False)
                first = False
            else:
                value = self._command(args, dot, value, True)
        return value

    def _arg(self, tok: str, dot: Any) -> Any:
        if tok.startswith('"'):
            return json.loads(tok)
        if tok.startswith("`"):
            return tok[1:-1]
        if tok == "." or tok == "$":
            return dot
        if tok.startswith(".") or tok.startswith("$."):
            v = dot
            for name in tok.lstrip("$").strip(".").split("."):
                if isinstance(v, dict):
                    v = v.get(name)
                else:
                    v = getattr(v, name, None)
            return v
        if re.fullmatch(r"-?\d+", tok):
            return int(tok)
        if tok in ("true", "false"):
            return tok == "true"
        raise TemplateError(f"template: function {tok!r} not defined")

    def _command(self, args: list[str], dot: Any, piped: Any, has_piped: bool) -> Any:
        fn = args[0]
        vals = [self._arg(a, dot) for a in args[1:]]
        if has_piped:
            vals.append(piped)
        if fn not in _FUNCS:
            if has_piped or len(args) > 1:
                raise TemplateError(f"template: function {fn!r} not defined")
            return self._arg(fn, dot)
        try:
            return _FUNCS[fn](*vals)
        except (TypeError, IndexError, KeyError, ValueError) as e:
            raise TemplateError(f"template: {fn}: {e}") from None


def _index(v: Any, *keys: Any) -> Any:
    for k in keys:
        v = v[k] if v is not None else None
    return v


def _printf(fmt: str, *args: Any) -> str:
    py = re.sub(r"%v", "%s", fmt)
    return py % tuple(go_str(a) if isinstance(a, list | dict | None) else a for a in args)


_FUNCS = {
    "json": lambda v: json.dumps(v, separators=(",", ":")),
    "index": _index,
    "join": lambda v, sep: sep.join(go_str(x) for x in (v or [])),
    "len": lambda v: len(v or []),
    "upper": lambda v: go_str(v).upper(),
    "lower": lambda v: go_str(v).lower(),
    "title": lambda v: go_str(v).title(),
    "println": lambda *v: " ".join(go_str(x) for x in v) + "\n",
    "print": lambda *v: "".join(go_str(x) for x in v),
    "printf": _printf,
    "split": lambda v, sep: go_str(v).split(sep),
    "truncate": lambda v, n: go_str(v)[:n],
}
