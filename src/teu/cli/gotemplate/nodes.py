"""The parse tree of a Go template (text/template/parse's node types, by name).

Each node keeps its byte offset in the template for the `NAME:LINE:COL` of an
execution error, and its `__str__` is Go's (the `at <...>` of that error).
"""

from __future__ import annotations


class Node:
    """Plain classes, not dataclasses: `dataclasses` imports `inspect`, ~15 ms that every
    `teu ps --format` would pay."""

    __slots__ = ("pos",)
    _fields: tuple[str, ...] = ()

    def __init__(self, pos: int, *values: object) -> None:
        self.pos = pos
        for name, value in zip(self._fields, values, strict=False):
            setattr(self, name, value)
        for name in self._fields[len(values):]:
            setattr(self, name, self._defaults()[name])

    @staticmethod
    def _defaults() -> dict:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.pos}, {str(self)!r})"


class Text(Node):
    __slots__ = ("text",)
    _fields = ("text",)


class Dot(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "."


class Nil(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "nil"


class Bool(Node):
    __slots__ = ("value",)
    _fields = ("value",)

    def __str__(self) -> str:
        return "true" if self.value else "false"


class Number(Node):
    __slots__ = ("value", "text")
    _fields = ("value", "text")

    def __str__(self) -> str:
        return self.text


class String(Node):
    __slots__ = ("value", "quoted")
    _fields = ("value", "quoted")

    def __str__(self) -> str:
        return self.quoted


class Identifier(Node):
    __slots__ = ("name",)
    _fields = ("name",)

    def __str__(self) -> str:
        return self.name


class Field(Node):
    __slots__ = ("idents",)
    _fields = ("idents",)

    def __str__(self) -> str:
        return "".join("." + i for i in self.idents)


class Variable(Node):
    __slots__ = ("idents",)
    _fields = ("idents",)

    def __str__(self) -> str:
        return ".".join(self.idents)


class Chain(Node):
    __slots__ = ("node", "fields")
    _fields = ("node", "fields")

    def __str__(self) -> str:
        inner = f"({self.node})" if isinstance(self.node, Pipe) else str(self.node)
        return inner + "".join("." + f for f in self.fields)


class Command(Node):
    __slots__ = ("args",)
    _fields = ("args",)

    @staticmethod
    def _defaults() -> dict:
        return {"args": []}

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, Pipe) else str(a) for a in self.args)


class Pipe(Node):
    __slots__ = ("decl", "is_assign", "cmds")
    _fields = ("decl", "is_assign", "cmds")

    @staticmethod
    def _defaults() -> dict:
        return {"decl": [], "is_assign": False, "cmds": []}

    def __str__(self) -> str:
        head = ""
        if self.decl:
            head = ", ".join(str(v) for v in self.decl) + (" = " if self.is_assign else " := ")
        return head + " | ".join(str(c) for c in self.cmds)


class Action(Node):
    __slots__ = ("pipe",)
    _fields = ("pipe",)

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


class Branch(Node):
    """if, with, range: a pipeline, its list, the else list."""

    __slots__ = ("kind", "pipe", "body", "other")
    _fields = ("kind", "pipe", "body", "other")

    def __str__(self) -> str:  # Go's shape; the lists are left out (errors cut it at 20)
        return f"{{{{{self.kind} {self.pipe}}}}}{{{{end}}}}"


class Break(Node):
    __slots__ = ()


class Continue(Node):
    __slots__ = ()


class TemplateCall(Node):
    __slots__ = ("name", "pipe", "quoted")
    _fields = ("name", "pipe", "quoted")

    @staticmethod
    def _defaults() -> dict:
        return {"quoted": ""}

    def __str__(self) -> str:
        return "{{template " + (self.quoted or f'"{self.name}"') + \
            (f" {self.pipe}" if self.pipe else "") + "}}"
