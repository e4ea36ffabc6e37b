"""Go's text/template, for docker's --format: parse once, execute on teu's values.

    t = Template("{{range $k, $v := .Labels}}{{$k}}={{$v}} {{end}}")
    t.execute({"Labels": {"a": "1"}})          # 'a=1 '

lexer.py and parser.py make the tree (nodes.py), execute.py walks it, funcs.py
holds Go's builtins, gofmt.py fmt's printf, values.py how Python values look to
Go (dict = map, Struct = struct, None = nil); docker's own functions (json,
join, table headers...) are in teu.cli.formatting, which uses this package.
"""

from __future__ import annotations

from typing import Any

from teu.cli.gotemplate.errors import ExecError, ParseError, TemplateError
from teu.cli.gotemplate.execute import execute
from teu.cli.gotemplate.funcs import BUILTINS, Func, FuncError
from teu.cli.gotemplate.parser import parse
from teu.cli.gotemplate.values import MISSING, Struct, go_str

__all__ = ["BUILTINS", "MISSING", "ExecError", "Func", "FuncError", "ParseError", "Struct",
           "Template", "TemplateError", "go_str"]


class Template:
    """A parsed template. `funcs` adds functions (docker's); missingkey is Go's option:
    "default" (<no value>), "zero" or "error"."""

    def __init__(self, text: str, name: str = "", funcs: dict[str, Func] | None = None,
                 missingkey: str = "default") -> None:
        self.text = text
        self.name = name
        self.funcs = {**BUILTINS, **(funcs or {})}
        self.missingkey = missingkey
        self.body, self.defines = parse(text, name, set(self.funcs))

    def execute(self, data: Any, funcs: dict[str, Func] | None = None,
                missingkey: str | None = None) -> str:
        """The output; ExecError (with .partial, what was written first) on failure.
        `funcs` replaces functions of the same names for this run (docker's table
        header uses its HeaderFunctions so)."""
        table = {**self.funcs, **funcs} if funcs else self.funcs
        return execute(self.text, self.name, self.body, self.defines, table, data,
                       missingkey or self.missingkey)
