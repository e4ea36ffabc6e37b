"""Value-style plain classes for paths that cannot afford the dataclasses import.

`dataclasses` pulls in `inspect` (and with it ast, dis, enum...): 10-20 ms of a
cold `teu verify` or `teu pull`. A class on such a path lists its fields in
`__slots__` and inherits equality and repr from `Slotted` instead.
"""

from __future__ import annotations


class Slotted:
    """Equality and repr over the fields named in the subclass's `__slots__`."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # mutable values, as a dataclass(eq=True)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"{type(self).__name__}({args})"
