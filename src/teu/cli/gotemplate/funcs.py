"""Go's builtin template functions (text/template/funcs.go) with their signatures.

A Func says its parameter types so a call with the wrong ones fails as Go's does
(`wrong type for value; expected string; got int`, `wrong number of args for len:
want 1 got 2`). `and` and `or` are evaluated lazily by the executor, as in Go 1.18+.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from teu.cli.gotemplate.gofmt import sprint, sprintf, sprintln
from teu.cli.gotemplate.values import MISSING, Struct, truth, type_name


class FuncError(Exception):
    """What a function returns as its error: `error calling NAME: MESSAGE`."""


class Func:
    """A function a template may call: fn, its parameter types ("any", "string", "int",
    "bool", "[]string") and the type of its ... arguments, if any."""

    __slots__ = ("fn", "params", "variadic")

    def __init__(self, fn: Callable[..., Any], params: tuple[str, ...] = (),
                 variadic: str | None = None) -> None:
        self.fn = fn
        self.params = params
        self.variadic = variadic


def _basic(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return ""


def _eq(a: Any, *others: Any) -> bool:
    if not others:
        raise FuncError("missing argument for comparison")
    ka = _basic(a)
    for b in others:
        kb = _basic(b)
        if a in (None, MISSING) or b in (None, MISSING):
            if (a in (None, MISSING)) == (b in (None, MISSING)):
                return True
            continue
        if not ka or not kb:
            if isinstance(a, list | dict) or isinstance(b, list | dict):
                raise FuncError("non-comparable type " + type_name(a if not ka else b))
            if a is b or (isinstance(a, Struct) and isinstance(b, Struct) and
                          a.fields == b.fields):
                return True
            continue
        if ka != kb:
            raise FuncError("incompatible types for comparison")
        if a == b:
            return True
    return False


def _ne(a: Any, b: Any) -> bool:
    return not _eq(a, b)


def _order(a: Any, b: Any) -> int:
    ka, kb = _basic(a), _basic(b)
    if not ka or not kb or ka == "bool" or kb == "bool":
        raise FuncError("invalid type for comparison")
    if ka != kb:
        raise FuncError("incompatible types for comparison")
    return (a > b) - (a < b)


def _len(v: Any) -> int:
    if isinstance(v, str):
        return len(v.encode())
    if isinstance(v, list | tuple | dict):
        return len(v)
    if v is None or v is MISSING:
        raise FuncError("len of nil pointer")
    raise FuncError(f"len of type {type_name(v)}")


def _index(item: Any, *keys: Any) -> Any:
    if item is None or item is MISSING:
        raise FuncError("index of untyped nil")
    for k in keys:
        if isinstance(item, dict):
            if not isinstance(k, str):
                raise FuncError(f"value has type {type_name(k)}; should be string")
            if k in item:
                item = item[k]
            else:
                # Go gives the map's zero value: "" for docker's map[string]string (labels)
                item = "" if item and all(isinstance(x, str) for x in item.values()) else None
        elif isinstance(item, list | tuple | str):
            if not (isinstance(k, int) and not isinstance(k, bool)):
                raise FuncError(f"cannot index slice/array with type {type_name(k)}")
            if k < 0 or k >= len(item):
                raise FuncError(f"index out of range: {k}")
            item = item[k] if not isinstance(item, str) else item.encode()[k]
        elif item is None:
            raise FuncError("index of nil pointer")
        else:
            raise FuncError(f"can't index item of type {type_name(item)}")
    return item


def _slice(item: Any, *idx: Any) -> Any:
    if not isinstance(item, list | tuple | str):
        raise FuncError(f"can't slice item of type {type_name(item)}")
    if len(idx) > 3 or (len(idx) == 3 and isinstance(item, str)):
        raise FuncError(f"too many slice indexes: {len(idx)}")
    bounds = [int(i) for i in idx]
    cap = len(item)
    lo = bounds[0] if bounds else 0
    hi = bounds[1] if len(bounds) > 1 else cap
    if lo < 0 or hi < lo or hi > cap:
        raise FuncError(f"invalid slice index: {lo} > {hi}" if hi < lo else
                        f"index out of range: {hi if hi > cap else lo}")
    return item[lo:hi]


def _not(v: Any) -> bool:
    return not truth(v)


def _js(*args: Any) -> str:
    s = sprint(list(args)) if len(args) != 1 or not isinstance(args[0], str) else args[0]
    out = []
    for ch in s:
        if ch in "\\'\"":
            out.append("\\" + ch)
        elif ch in "<>&=":
            out.append(f"\\u{ord(ch):04X}")
        elif ord(ch) < 0x20:
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\u{ord(ch):04X}"))
        else:
            out.append(ch)
    return "".join(out)


def _html_escape(*args: Any) -> str:
    s = sprint(list(args)) if len(args) != 1 or not isinstance(args[0], str) else args[0]
    import html

    return html.escape(s, quote=True).replace("&#x27;", "&#39;").replace("\0", "\uFFFD")


def _urlquery(*args: Any) -> str:
    s = sprint(list(args)) if len(args) != 1 or not isinstance(args[0], str) else args[0]
    import urllib.parse

    return urllib.parse.quote_plus(s, safe="")


def _call(fn: Any, *args: Any) -> Any:
    if not callable(fn):
        raise FuncError(f"non-function of type {type_name(fn)}")
    return fn(*args)


BUILTINS: dict[str, Func] = {
    "and": Func(lambda *a: a[-1], ("any",), "any"),   # lazily evaluated by the executor
    "or": Func(lambda *a: a[-1], ("any",), "any"),
    "not": Func(_not, ("any",)),
    "len": Func(_len, ("any",)),
    "index": Func(_index, ("any",), "any"),
    "slice": Func(_slice, ("any",), "int"),
    "eq": Func(_eq, ("any",), "any"),
    "ne": Func(_ne, ("any", "any")),
    "lt": Func(lambda a, b: _order(a, b) < 0, ("any", "any")),
    "le": Func(lambda a, b: _order(a, b) <= 0, ("any", "any")),
    "gt": Func(lambda a, b: _order(a, b) > 0, ("any", "any")),
    "ge": Func(lambda a, b: _order(a, b) >= 0, ("any", "any")),
    "print": Func(lambda *a: sprint(list(a)), (), "any"),
    "println": Func(lambda *a: sprintln(list(a)), (), "any"),
    "printf": Func(lambda f, *a: sprintf(f, list(a)), ("string",), "any"),
    "html": Func(_html_escape, (), "any"),
    "js": Func(_js, (), "any"),
    "urlquery": Func(_urlquery, (), "any"),
    "call": Func(_call, ("any",), "any"),
}
