"""`@record`: a dataclass without the dataclass decorator's cost.

`dataclasses.dataclass` writes and compiles an __init__, __repr__ and __eq__ per
class: about 1 ms each on a loaded machine, and teu build has some forty such
classes, so that alone was a third of a fully cached build. `record` reads the
same annotations and defaults (plain values or `dataclasses.field(default_factory=...)`)
and gives every class one shared __init__ (positional or keyword), __repr__ and
__eq__. Subclasses extend their parents' fields, as with dataclasses.
"""

from __future__ import annotations

from dataclasses import MISSING, Field
from typing import Any

_FIELDS = "__record_fields__"


def record(cls: type) -> type:
    fields: dict[str, Any] = {}
    for base in reversed(cls.__mro__[1:]):
        fields.update(getattr(base, _FIELDS, {}))
    for name in cls.__dict__.get("__annotations__", {}):
        value = cls.__dict__.get(name, MISSING)
        if isinstance(value, Field):
            if value.default_factory is not MISSING:
                value = _Factory(value.default_factory)
            else:
                value = value.default
            if value is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, value if not isinstance(value, _Factory) else None)
        fields[name] = value
    setattr(cls, _FIELDS, fields)
    cls.__init__ = _init  # type: ignore[misc]
    cls.__repr__ = _repr  # type: ignore[method-assign]
    cls.__eq__ = _eq  # type: ignore[method-assign]
    cls.__hash__ = None  # type: ignore[assignment]
    return cls


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Any) -> None:
        self.make = make


def _init(self: Any, *args: Any, **kw: Any) -> None:
    fields = getattr(type(self), _FIELDS)
    names = list(fields)
    if len(args) > len(names):
        raise TypeError(f"{type(self).__name__}: too many arguments")
    for name, value in zip(names, args, strict=False):
        kw[name] = value
    for name, default in fields.items():
        if name in kw:
            value = kw.pop(name)
        elif isinstance(default, _Factory):
            value = default.make()
        elif default is MISSING:
            raise TypeError(f"{type(self).__name__}: missing argument {name!r}")
        else:
            value = default
        object.__setattr__(self, name, value)
    if kw:
        raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kw)}")


def _repr(self: Any) -> str:
    fields = getattr(type(self), _FIELDS)
    inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in fields)
    return f"{type(self).__name__}({inner})"


def _eq(self: Any, other: object) -> bool:
    if type(other) is not type(self):
        return NotImplemented
    return all(getattr(self, n) == getattr(other, n) for n in getattr(type(self), _FIELDS))
