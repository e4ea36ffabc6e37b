"""Go text/template's executor (text/template/exec.go) over teu's Python values.

Semantics are Go's: a pipeline's value is the last command's, each command after
the first gets it as its last argument; variables are scoped to the block that
declared them; `range` over a map goes in key order; `if`, `with` and `and`/`or`
use Go's truth; a missing map key is <no value> (or, with missingkey=error,
`map has no entry for key "k"`), a missing struct field an error. Errors name the
place and the node as Go does: `template: :1:2: executing "" at <.Foo>: ...`.
"""

from __future__ import annotations

from typing import Any

from teu.cli.gotemplate import nodes as N
from teu.cli.gotemplate.errors import ExecError
from teu.cli.gotemplate.funcs import BUILTINS, Func, FuncError
from teu.cli.gotemplate.values import MISSING, Struct, go_str, truth, type_name

NOFINAL: Any = object()  # no value piped in (Go's missingVal)


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Failed(Exception):
    """Carries an ExecError's message out of the walk (the partial output is added)."""


class State:
    def __init__(self, text: str, name: str, funcs: dict[str, Func],
                 defines: dict[str, list[N.Node]], missingkey: str, data: Any) -> None:
        self.text = text
        self.name = name
        self.funcs = funcs
        self.defines = defines
        self.missingkey = missingkey
        self.out: list[str] = []
        self.vars: list[list[Any]] = [["$", data]]
        self.node: N.Node | None = None
        self.depth = 0

    # -- errors
    def at(self, node: N.Node) -> None:
        self.node = node

    def errorf(self, msg: str) -> None:
        if self.node is None:
            raise _Failed(f"template: {self.name}: {msg}")
        pos = self.node.pos
        before = self.text[:pos]
        line = 1 + before.count("\n")
        col = pos - (before.rfind("\n") + 1)
        context = str(self.node)
        if len(context) > 20:
            context = context[:20] + "..."
        raise _Failed(f'template: {self.name}:{line}:{col}: executing "{self.name}" at '
                      f"<{context}>: {msg}")

    # -- variables
    def var(self, name: str) -> Any:
        for k in range(len(self.vars) - 1, -1, -1):
            if self.vars[k][0] == name:
                return self.vars[k][1]
        self.errorf(f"undefined variable: {name}")
        return None

    def set_var(self, name: str, value: Any) -> None:
        for k in range(len(self.vars) - 1, -1, -1):
            if self.vars[k][0] == name:
                self.vars[k][1] = value
                return
        self.errorf(f"undefined variable: {name}")

    # -- the walk
    def walk(self, dot: Any, body: list[N.Node]) -> None:
        for node in body:
            if isinstance(node, N.Text):
                self.out.append(node.text)
            elif isinstance(node, N.Action):
                value = self.pipeline(dot, node.pipe)
                if not node.pipe.decl:
                    self.out.append(go_str(value))
            elif isinstance(node, N.Branch):
                if node.kind == "range":
                    self.range(dot, node)
                else:
                    self.if_or_with(dot, node)
            elif isinstance(node, N.Break):
                raise _Break
            elif isinstance(node, N.Continue):
                raise _Continue
            elif isinstance(node, N.TemplateCall):
                self.template(dot, node)

    def if_or_with(self, dot: Any, node: N.Branch) -> None:
        mark = len(self.vars)
        value = self.pipeline(dot, node.pipe)
        if truth(value):
            self.walk(value if node.kind == "with" else dot, node.body)
        elif node.other is not None:
            self.walk(dot, node.other)
        del self.vars[mark:]

    def range(self, dot: Any, node: N.Branch) -> None:
        self.at(node)
        mark = len(self.vars)
        value = self.pipeline(dot, node.pipe)
        if isinstance(value, list | tuple):
            pairs = list(enumerate(value))
        elif isinstance(value, dict):
            pairs = [(k, value[k]) for k in sorted(value)]
        elif value is MISSING or value is None:
            pairs = []
        else:
            self.at(node)
            self.errorf(f"range can't iterate over {go_str(value)}")
            pairs = []
        decl = node.pipe.decl
        for key, elem in pairs:
            if len(decl) == 1:
                self.vars[mark][1] = elem
            elif len(decl) == 2:
                self.vars[mark][1] = key
                self.vars[mark + 1][1] = elem
            inner = len(self.vars)
            try:
                self.walk(elem, node.body)
            except _Continue:
                pass
            except _Break:
                del self.vars[inner:]
                break
            del self.vars[inner:]
        if not pairs and node.other is not None:
            self.walk(dot, node.other)
        del self.vars[mark:]

    def template(self, dot: Any, node: N.TemplateCall) -> None:
        self.at(node)
        body = self.defines.get(node.name)
        if body is None:
            self.errorf(f'no such template "{node.name}"')
            return
        new_dot = self.pipeline(dot, node.pipe) if node.pipe else None
        self.depth += 1
        if self.depth > 10000:
            self.errorf("exceeded maximum template depth (10000)")
        saved, self.vars = self.vars, [["$", new_dot]]
        self.walk(new_dot, body)
        self.vars = saved
        self.depth -= 1

    # -- pipelines and commands
    def pipeline(self, dot: Any, pipe: N.Pipe) -> Any:
        value: Any = NOFINAL
        for cmd in pipe.cmds:
            value = self.command(dot, cmd, value)
        for v in pipe.decl:
            if pipe.is_assign:
                self.set_var(v.idents[0], value)
            else:
                self.vars.append([v.idents[0], value])
        return value

    def not_a_function(self, args: list[N.Node], final: Any) -> None:
        if len(args) > 1 or final is not NOFINAL:
            self.errorf(f"can't give argument to non-function {args[0]}")

    def command(self, dot: Any, cmd: N.Command, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, N.Field):
            return self.field_node(dot, first, cmd.args, final)
        if isinstance(first, N.Chain):
            return self.chain(dot, first, cmd.args, final)
        if isinstance(first, N.Identifier):
            return self.function(dot, first, cmd, cmd.args, final)
        if isinstance(first, N.Pipe):
            self.at(first)
            self.not_a_function(cmd.args, final)
            return self.pipeline(dot, first)
        if isinstance(first, N.Variable):
            return self.variable_node(dot, first, cmd.args, final)
        self.at(first)
        self.not_a_function(cmd.args, final)
        if isinstance(first, N.Bool):
            return first.value
        if isinstance(first, N.Dot):
            return dot
        if isinstance(first, N.Nil):
            self.errorf("nil is not a command")
        if isinstance(first, N.Number):
            return first.value
        if isinstance(first, N.String):
            return first.value
        self.errorf(f"can't evaluate command {first}")
        return None

    def field_node(self, dot: Any, field: N.Field, args: list[N.Node], final: Any) -> Any:
        self.at(field)
        return self.field_chain(dot, dot, field, field.idents, args, final)

    def chain(self, dot: Any, chain: N.Chain, args: list[N.Node] | None, final: Any) -> Any:
        self.at(chain)
        if isinstance(chain.node, N.Nil):
            self.errorf(f"indirection through explicit nil in {chain}")
        receiver = self.arg(dot, "any", chain.node, keep_missing=True)
        return self.field_chain(dot, receiver, chain, chain.fields, args, final)

    def variable_node(self, dot: Any, var: N.Variable, args: list[N.Node] | None,
                      final: Any) -> Any:
        self.at(var)
        value = self.var(var.idents[0])
        if len(var.idents) == 1:
            self.not_a_function(args or [var], final)
            return value
        return self.field_chain(dot, value, var, var.idents[1:], args, final)

    def field_chain(self, dot: Any, receiver: Any, node: N.Node, idents: list[str],
                    args: list[N.Node] | None, final: Any) -> Any:
        for name in idents[:-1]:
            receiver = self.field(dot, name, node, None, NOFINAL, receiver)
        return self.field(dot, idents[-1], node, args, final, receiver)

    def field(self, dot: Any, name: str, node: N.Node, args: list[N.Node] | None,
              final: Any, receiver: Any) -> Any:
        has_args = (args is not None and len(args) > 1) or final is not NOFINAL
        if receiver is MISSING or receiver is None:
            if self.missingkey == "error":
                self.errorf(f'nil data; no entry for key "{name}"')
            return MISSING
        if isinstance(receiver, Struct):
            method = receiver.methods.get(name)
            if method is not None:
                return self.call(dot, method, node, name, args or [node], final)
            if name in receiver.fields:
                if has_args:
                    self.errorf(f"{name} has arguments but cannot be invoked as function")
                return receiver.fields[name]
            self.errorf(f"can't evaluate field {name} in type {receiver.type_name}")
        if isinstance(receiver, dict):
            if has_args:
                self.errorf(f"{name} is not a method but has arguments")
            if name in receiver:
                return receiver[name]
            if self.missingkey == "error":
                self.errorf(f'map has no entry for key "{name}"')
            if self.missingkey == "zero":
                return "" if receiver and all(isinstance(v, str) for v in receiver.values()) \
                    else None
            return MISSING
        self.errorf(f"can't evaluate field {name} in type {type_name(receiver)}")
        return None

    def function(self, dot: Any, ident: N.Identifier, cmd: N.Node,
                 args: list[N.Node] | None, final: Any) -> Any:
        self.at(ident)
        fn = self.funcs.get(ident.name)
        if fn is None:
            self.errorf(f'"{ident.name}" is not a defined function')
        lazy = ident.name in ("and", "or") and fn is BUILTINS[ident.name]
        return self.call(dot, fn, cmd, ident.name, args, final, builtin_lazy=lazy)

    def call(self, dot: Any, fn: Func, node: N.Node, name: str, args: list[N.Node] | None,
             final: Any, builtin_lazy: bool = False) -> Any:
        argnodes = (args or [])[1:]
        n_in = len(argnodes) + (final is not NOFINAL)
        fixed = len(fn.params)
        if fn.variadic is not None:
            if n_in < fixed:
                self.errorf(f"wrong number of args for {name}: want at least {fixed} "
                            f"got {n_in}")
        elif n_in != fixed:
            self.errorf(f"wrong number of args for {name}: want {fixed} got {n_in}")

        def typ(k: int) -> str:
            return fn.params[k] if k < fixed else (fn.variadic or "any")

        if builtin_lazy:  # and/or: stop at the first false (and) or true (or) argument
            value: Any = None
            for k, a in enumerate(argnodes):
                value = self.arg(dot, typ(k), a)
                if truth(value) == (name == "or"):
                    return value
            if final is not NOFINAL:
                value = final
            return value
        values = [self.arg(dot, typ(k), a) for k, a in enumerate(argnodes)]
        if final is not NOFINAL:
            values.append(self.check(typ(n_in - 1), final))
        try:
            return fn.fn(*values)
        except FuncError as e:
            self.at(node)
            self.errorf(f"error calling {name}: {e}")
        except (TypeError, ValueError, IndexError, KeyError, OverflowError) as e:
            self.at(node)
            self.errorf(f"error calling {name}: {e}")
        return None

    def arg(self, dot: Any, typ: str, node: N.Node, keep_missing: bool = False) -> Any:
        self.at(node)
        if isinstance(node, N.Dot):
            return self.check(typ, dot, keep_missing)
        if isinstance(node, N.Nil):
            if typ != "any":
                self.errorf(f"cannot assign nil to {typ}")
            return None
        if isinstance(node, N.Field):
            return self.check(typ, self.field_node(dot, node, [node], NOFINAL), keep_missing)
        if isinstance(node, N.Variable):
            return self.check(typ, self.variable_node(dot, node, None, NOFINAL), keep_missing)
        if isinstance(node, N.Pipe):
            return self.check(typ, self.pipeline(dot, node), keep_missing)
        if isinstance(node, N.Identifier):
            return self.check(typ, self.function(dot, node, node, None, NOFINAL), keep_missing)
        if isinstance(node, N.Chain):
            return self.check(typ, self.chain(dot, node, None, NOFINAL), keep_missing)
        # constants: Go's messages for a literal of the wrong kind
        want = {"string": "string", "int": "integer", "bool": "bool"}.get(typ)
        if isinstance(node, N.Bool):
            if typ not in ("any", "bool"):
                self.errorf(f"expected {want}; found {node}")
            return node.value
        if isinstance(node, N.String):
            if typ not in ("any", "string"):
                self.errorf(f"expected {want or typ}; found {node}")
            return node.value
        if isinstance(node, N.Number):
            v = node.value
            if typ == "int" and not isinstance(v, int):
                self.errorf(f"expected integer; found {node}")
            if typ in ("string", "bool", "[]string"):
                self.errorf(f"expected {want or typ}; found {node}")
            return v
        self.errorf(f"can't handle {node} for arg of type {typ}")
        return None

    def check(self, typ: str, v: Any, keep_missing: bool = False) -> Any:
        """Go's validateType: the value must fit the parameter."""
        if typ == "any":
            return v if keep_missing or v is not MISSING else None
        if v is MISSING or v is None:
            self.errorf(f"invalid value; expected {typ}")
        ok = {"string": lambda x: isinstance(x, str),
              "int": lambda x: isinstance(x, int) and not isinstance(x, bool),
              "bool": lambda x: isinstance(x, bool),
              "[]string": lambda x: isinstance(x, list | tuple) and
              all(isinstance(s, str) for s in x)}[typ](v)
        if not ok:
            self.errorf(f"wrong type for value; expected {typ}; got {type_name(v)}")
        return v


def execute(text: str, name: str, body: list[N.Node], defines: dict[str, list[N.Node]],
            funcs: dict[str, Func], data: Any, missingkey: str = "default") -> str:
    state = State(text, name, funcs, defines, missingkey, data)
    try:
        state.walk(data, body)
    except _Failed as e:
        raise ExecError(str(e), "".join(state.out)) from None
    except RecursionError:
        raise ExecError(f"template: {name}: exceeded maximum template depth",
                        "".join(state.out)) from None
    return "".join(state.out)
