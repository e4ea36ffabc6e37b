"""`@record`: a dataclass without the dataclass decorator's cost.

`dataclasses.dataclass` writes and compiles an __init__, __repr__ and __eq__ per
class: about 1 ms each on a loaded machine, and teu build has some forty such
classes; importing `dataclasses` (it imports `inspect`, `ast`, `dis`, `copy`)
costs ~15 ms more. `record` reads the same annotations and defaults (plain values or
`field(default_factory=...)` from this module) and gives every class one shared
__init__ (positional or keyword), __repr__ and __eq__. Subclasses extend their
parents' fields, as with dataclasses.
"""

from __future__ import annotations

_FIELDS = "__record_fields__"
MISSING = object()  # a field without a default


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make) -> None:  # noqa: ANN001 - any callable
        self.make = make


def field(*, default_factory) -> object:  # noqa: ANN001 - any callable
    """A default made per instance (a list, a dict), as dataclasses.field's."""
    return _Factory(default_factory)


def record(cls: type) -> type:
    fields: dict = {}
    for base in reversed(cls.__mro__[1:]):
        fields.update(getattr(base, _FIELDS, {}))
    for name in cls.__dict__.get("__annotations__", {}):
        value = cls.__dict__.get(name, MISSING)
        if isinstance(value, _Factory):
            setattr(cls, name, None)
        fields[name] = value
    setattr(cls, _FIELDS, fields)
    cls.__init__ = _init  # type: ignore[misc]
    cls.__repr__ = _repr  # type: ignore[method-assign]
    cls.__eq__ = _eq  # type: ignore[method-assign]
    cls.__hash__ = None  # type: ignore[assignment]
    return cls


def _init(self, *args, **kw) -> None:  # noqa: ANN001, ANN002, ANN003 - any record
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


def _repr(self) -> str:  # noqa: ANN001
    fields = getattr(type(self), _FIELDS)
    inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in fields)
    return f"{type(self).__name__}({inner})"


def _eq(self, other: object) -> bool:  # noqa: ANN001
    if type(other) is not type(self):
        return NotImplemented
    return all(getattr(self, n) == getattr(other, n) for n in getattr(type(self), _FIELDS))
