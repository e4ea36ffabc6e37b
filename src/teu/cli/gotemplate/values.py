"""How Go sees teu's Python values, for templates.

    dict      map[string]interface {}   missing key: <no value> (or an error with
                                        missingkey=error, as docker's inspect fallback)
    Struct    a Go struct (or a docker formatter context): a missing field is an
              error, `can't evaluate field Foo in type *formatter.ContainerContext`;
              callables in it are methods (`.Label "k"`)
    list      []interface {}            None  nil           str  string
    int       int                       float float64       bool bool

`MISSING` is Go's invalid reflect.Value: what a missing map key evaluates to,
printed `<no value>`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<no value>"


MISSING: Any = _Missing()


class Struct:
    """A Go struct: named fields in order, and methods (callables taking args)."""

    __slots__ = ("type_name", "fields", "methods", "json_map", "omitempty")

    def __init__(self, type_name: str, fields: dict[str, Any],
                 methods: dict[str, Callable[..., Any]] | None = None,
                 json_map: bool = False, omitempty: tuple[str, ...] = ()) -> None:
        self.type_name = type_name
        self.fields = fields
        self.methods = methods or {}
        # docker's formatter contexts marshal to JSON as a map of their fields (sorted)
        self.json_map = json_map
        # fields encoding/json leaves out when they are nil (`json:",omitempty"`)
        self.omitempty = omitempty

    def __repr__(self) -> str:
        return f"Struct({self.type_name}, {self.fields!r})"


def type_name(v: Any) -> str:
    """Go's name for the type of v, as error messages show it."""
    if isinstance(v, Struct):
        return v.type_name
    if v is None or v is MISSING:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        if v and all(isinstance(x, str) for x in v.values()):
            return "map[string]string"
        return "map[string]interface {}"
    if isinstance(v, list | tuple):
        if v and all(isinstance(x, str) for x in v):
            return "[]string"
        return "[]interface {}"
    if callable(v):
        return "func"
    return type(v).__name__


def go_float(f: float) -> str:
    """fmt's %v of a float64 (strconv 'g', shortest): exponent form below 1e-4 and from
    1e+06 on, as Go prints them: 1e+06, 1.23456789e+08, 0.5, 100."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if str(f).startswith("-") else "0"
    r = repr(f)
    mant, _, exp_s = r.partition("e")
    sign = "-" if mant.startswith("-") else ""
    mant = mant.lstrip("-")
    intpart, _, frac = mant.partition(".")
    digits = (intpart + frac).lstrip("0")
    # decimal exponent of the first significant digit
    exp = (len(intpart.lstrip("0")) - 1 if intpart.strip("0") else
           -(len(frac) - len(frac.lstrip("0")) + 1)) + (int(exp_s) if exp_s else 0)
    digits = digits.rstrip("0") or "0"
    if exp < -4 or exp >= 6:
        m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{m}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{digits}"
    if len(digits) <= exp + 1:
        return sign + digits + "0" * (exp + 1 - len(digits))
    return f"{sign}{digits[:exp + 1]}.{digits[exp + 1:]}"


def go_str(v: Any, top: bool = True) -> str:
    """fmt.Sprint(v) for a template's output: [a b], map[k:v], {f1 f2}, <nil>."""
    if v is MISSING:
        return "<no value>"
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, list | tuple):
        return "[" + " ".join(go_str(x, False) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_str(v[k], False)}" for k in sorted(v)) + "]"
    if isinstance(v, Struct):
        return "{" + " ".join(go_str(x, False) for x in v.fields.values()) + "}"
    return str(v)


def truth(v: Any) -> bool:
    """Go's template truth: false, 0, nil, empty string/list/map are false."""
    if v is MISSING or v is None:
        return False
    if isinstance(v, Struct):
        return True
    if isinstance(v, bool | int | float):
        return v != 0
    if isinstance(v, str | list | tuple | dict):
        return len(v) > 0
    return True


def to_json(v: Any) -> Any:
    """What encoding/json would write for v, as plain Python for json.dumps."""
    if isinstance(v, Struct):
        if v.json_map:
            return {k: to_json(v.fields[k]) for k in sorted(v.fields)}
        return {k: to_json(x) for k, x in v.fields.items()
                if not (x is None and k in v.omitempty)}
    if isinstance(v, dict):
        return {k: to_json(v[k]) for k in sorted(v)}
    if isinstance(v, list | tuple):
        return [to_json(x) for x in v]
    if v is MISSING:
        return None
    if isinstance(v, float) and v == int(v) and abs(v) < 1e21:
        return int(v)  # Go writes 1, not 1.0
    return v
