"""The parse tree of a Go template (text/template/parse's node types, by name).

Each node keeps its byte offset in the template for the `NAME:LINE:COL` of an
execution error, and its `__str__` is Go's (the `at <...>` of that error).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Node:
    pos: int


@dataclass(slots=True)
class Text(Node):
    text: str


@dataclass(slots=True)
class Dot(Node):
    def __str__(self) -> str:
        return "."


@dataclass(slots=True)
class Nil(Node):
    def __str__(self) -> str:
        return "nil"


@dataclass(slots=True)
class Bool(Node):
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(slots=True)
class Number(Node):
    value: int | float
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(slots=True)
class String(Node):
    value: str
    quoted: str

    def __str__(self) -> str:
        return self.quoted


@dataclass(slots=True)
class Identifier(Node):
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(slots=True)
class Field(Node):
    idents: list[str]

    def __str__(self) -> str:
        return "".join("." + i for i in self.idents)


@dataclass(slots=True)
class Variable(Node):
    idents: list[str]  # the first is the name with its $

    def __str__(self) -> str:
        return ".".join(self.idents)


@dataclass(slots=True)
class Chain(Node):
    node: Node
    fields: list[str]

    def __str__(self) -> str:
        inner = f"({self.node})" if isinstance(self.node, Pipe) else str(self.node)
        return inner + "".join("." + f for f in self.fields)


@dataclass(slots=True)
class Command(Node):
    args: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, Pipe) else str(a) for a in self.args)


@dataclass(slots=True)
class Pipe(Node):
    decl: list[Variable] = field(default_factory=list)
    is_assign: bool = False
    cmds: list[Command] = field(default_factory=list)

    def __str__(self) -> str:
        head = ""
        if self.decl:
            head = ", ".join(str(v) for v in self.decl) + (" = " if self.is_assign else " := ")
        return head + " | ".join(str(c) for c in self.cmds)


@dataclass(slots=True)
class Action(Node):
    pipe: Pipe

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@dataclass(slots=True)
class Branch(Node):
    """if, with, range: a pipeline, its list, the else list."""

    kind: str
    pipe: Pipe
    body: list[Node]
    other: list[Node] | None

    def __str__(self) -> str:  # Go's shape; the lists are left out (errors cut it at 20)
        return f"{{{{{self.kind} {self.pipe}}}}}{{{{end}}}}"


@dataclass(slots=True)
class Break(Node):
    pass


@dataclass(slots=True)
class Continue(Node):
    pass


@dataclass(slots=True)
class TemplateCall(Node):
    name: str
    pipe: Pipe | None
    quoted: str = ""

    def __str__(self) -> str:
        return "{{template " + (self.quoted or f'"{self.name}"') + \
            (f" {self.pipe}" if self.pipe else "") + "}}"
