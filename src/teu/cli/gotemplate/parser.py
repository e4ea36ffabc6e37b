"""Go text/template's parser (text/template/parse/parse.go): items in, a tree out.

Errors are Go's, word for word (`template: NAME:LINE: unexpected EOF`, `function
"x" not defined`, `undefined variable "$x"`...), raised as ParseError; docker
prefixes them (`template parsing error: ...`) where it shows them.
"""

from __future__ import annotations

from teu.cli.gotemplate import lexer as L
from teu.cli.gotemplate import nodes as N
from teu.cli.gotemplate.errors import ParseError


def unquote(text: str) -> str:
    """A Go interpreted string literal's value (\\n \\t \\x41 \\u00e9 \\101 ...)."""
    body = text[1:-1]
    out: list[str] = []
    i = 0
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
              "\\": "\\", '"': '"', "'": "'"}
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[nxt]
            hexpart = body[i + 2:i + 2 + width]
            if len(hexpart) != width or any(c not in "0123456789abcdefABCDEF" for c in hexpart):
                raise ValueError("invalid syntax")
            out.append(chr(int(hexpart, 16)))
            i += 2 + width
        elif nxt in "01234567":
            octal = body[i + 1:i + 4]
            if len(octal) != 3 or any(c not in "01234567" for c in octal):
                raise ValueError("invalid syntax")
            out.append(chr(int(octal, 8)))
            i += 4
        else:
            raise ValueError("invalid syntax")
    return "".join(out)


def number(text: str) -> int | float:
    """A Go number literal's value, as Go's idealConstant gives it to an interface{}:
    an int unless it is written as a float (., e, p outside hex digits)."""
    t = text.replace("_", "")
    if t.endswith("i"):
        raise ValueError("complex numbers are not supported")
    low = t.lower().lstrip("+-")
    is_hex = low.startswith("0x")
    if not is_hex and any(c in low for c in ".e"):
        return float(t)
    if is_hex and "p" in low:
        return float.fromhex(t)
    sign = -1 if t.startswith("-") else 1
    body = t.lstrip("+-")
    if body.lower().startswith(("0x", "0o", "0b")):
        return sign * int(body, 0)
    if len(body) > 1 and body.startswith("0"):
        return sign * int(body, 8)  # Go's old-style octal: 017
    return sign * int(body)


class Parser:
    def __init__(self, text: str, name: str, funcs: set[str]) -> None:
        self.text = text
        self.name = name
        self.funcs = funcs
        self.items = L.lex(text)
        self.i = 0
        self.vars: list[str] = ["$"]
        self.defines: dict[str, list[N.Node]] = {}
        self.range_depth = 0

    # -- items
    def peek(self) -> L.Item:
        return self.items[self.i]

    def next(self) -> L.Item:
        item = self.items[self.i]
        if item.kind == L.ERROR:
            self.fail(item.val, item)
        if self.i < len(self.items) - 1:
            self.i += 1
        return item

    def next_non_space(self) -> L.Item:
        while True:
            item = self.next()
            if item.kind != L.SPACE:
                return item

    def peek_non_space(self) -> L.Item:
        j = self.i
        while self.items[j].kind == L.SPACE:
            j += 1
        item = self.items[j]
        if item.kind == L.ERROR:
            self.i = j
            self.next()
        return item

    def backup_to(self, index: int) -> None:
        self.i = index

    def fail(self, msg: str, item: L.Item | None = None) -> None:
        line = (item or self.peek()).line
        raise ParseError(f"template: {self.name}:{line}: {msg}")

    def expect(self, kind: str, context: str) -> L.Item:
        item = self.next_non_space()
        if item.kind != kind:
            self.unexpected(item, context)
        return item

    def unexpected(self, item: L.Item, context: str) -> None:
        if item.kind == L.ERROR:
            self.fail(item.val, item)
        self.fail(f"unexpected {item} in {context}", item)

    # -- the tree
    def parse(self) -> tuple[list[N.Node], dict[str, list[N.Node]]]:
        body: list[N.Node] = []
        while self.peek().kind != L.EOF:
            if self.peek().kind == L.LEFT:
                mark = self.i
                self.next()
                nxt = self.peek_non_space()
                if nxt.kind == L.KEYWORD and nxt.val == "define":
                    self.next_non_space()
                    self.define()
                    continue
                self.backup_to(mark)
            node, end = self.text_or_action()
            if end is not None:
                self.fail(f"unexpected {end}", None)
            if node is not None:
                body.append(node)
        if self.peek().kind == L.ERROR:
            self.next()
        return body, self.defines

    def define(self) -> None:
        name_item = self.next_non_space()
        if name_item.kind not in (L.STRING, L.RAWSTRING):
            self.unexpected(name_item, "define clause")
        name = self.string_value(name_item)
        self.expect(L.RIGHT, "define clause")
        saved, self.vars = self.vars, ["$"]
        body, end = self.item_list("define")
        self.vars = saved
        if end != "{{end}}":
            self.fail(f"unexpected {end} in define clause")
        self.defines[name] = body

    def item_list(self, context: str) -> tuple[list[N.Node], str]:
        """Nodes up to {{end}} or {{else}}; which one ended it (as Go quotes it)."""
        out: list[N.Node] = []
        while True:
            if self.peek().kind == L.EOF:
                self.fail("unexpected EOF")
            node, end = self.text_or_action()
            if end is not None:
                return out, end
            if node is not None:
                out.append(node)

    def text_or_action(self) -> tuple[N.Node | None, str | None]:
        item = self.next()
        if item.kind == L.TEXT:
            return N.Text(item.pos, item.val), None
        if item.kind == L.LEFT:
            return self.action()
        self.unexpected(item, "input")
        return None, None

    def action(self) -> tuple[N.Node | None, str | None]:
        item = self.peek_non_space()
        if item.kind == L.KEYWORD:
            self.next_non_space()
            kw = item.val
            if kw == "end":
                self.expect(L.RIGHT, "end")
                return None, "{{end}}"
            if kw == "else":
                return None, self.else_marker(item)
            if kw in ("if", "with", "range"):
                return self.branch(kw, item), None
            if kw == "template":
                return self.template_call(item), None
            if kw == "block":
                return self.block(item), None
            if kw in ("break", "continue"):
                if not self.range_depth:
                    self.fail(f"{{{{{kw}}}}} outside {{{{range}}}}", item)
                self.expect(L.RIGHT, kw)
                return (N.Break if kw == "break" else N.Continue)(item.pos), None
            self.fail(f"unexpected <{kw}> in command", item)
        pipe = self.pipeline("command", L.RIGHT)
        return N.Action(item.pos, pipe), None

    def else_marker(self, item: L.Item) -> str:
        nxt = self.peek_non_space()
        if nxt.kind == L.KEYWORD and nxt.val in ("if", "with"):
            # {{else if ...}}: the caller makes it an if inside the else list
            return "{{else " + nxt.val + "}}"
        self.expect(L.RIGHT, "else")
        return "{{else}}"

    def branch(self, kind: str, item: L.Item) -> N.Branch:
        mark = len(self.vars)
        if kind == "range":
            self.range_depth += 1
        pipe = self.pipeline(kind, L.RIGHT)
        body, end = self.item_list(kind)
        if kind == "range":
            self.range_depth -= 1
        other: list[N.Node] | None = None
        if end.startswith("{{else"):
            if end in ("{{else if}}", "{{else with}}"):
                sub = self.next_non_space()  # the if/with keyword
                if sub.val != kind:
                    self.fail(f"unexpected {{{{else {sub.val}}}}} in {kind}", sub)
                other = [self.branch(sub.val, sub)]
            else:
                other, end = self.item_list(kind)
                if end != "{{end}}":
                    self.fail(f"expected end; found {end}")
        elif end != "{{end}}":
            self.fail(f"unexpected {end}")
        del self.vars[mark:]
        return N.Branch(item.pos, kind, pipe, body, other)

    def template_call(self, item: L.Item) -> N.TemplateCall:
        name_item = self.next_non_space()
        if name_item.kind not in (L.STRING, L.RAWSTRING):
            self.unexpected(name_item, "template clause")
        pipe = None
        if self.peek_non_space().kind != L.RIGHT:
            pipe = self.pipeline("template clause", L.RIGHT)
        else:
            self.next_non_space()
        return N.TemplateCall(name_item.pos, self.string_value(name_item), pipe, name_item.val)

    def block(self, item: L.Item) -> N.TemplateCall:
        name_item = self.next_non_space()
        if name_item.kind not in (L.STRING, L.RAWSTRING):
            self.unexpected(name_item, "block clause")
        pipe = self.pipeline("block clause", L.RIGHT)
        saved, self.vars = self.vars, ["$"]
        body, end = self.item_list("block")
        self.vars = saved
        if end != "{{end}}":
            self.fail(f"unexpected {end} in block clause")
        name = self.string_value(name_item)
        self.defines[name] = body
        return N.TemplateCall(name_item.pos, name, pipe, name_item.val)

    def string_value(self, item: L.Item) -> str:
        if item.kind == L.RAWSTRING:
            return item.val[1:-1]
        try:
            return unquote(item.val)
        except (ValueError, IndexError):
            self.fail(f"invalid syntax: {item.val}", item)
        return ""

    # -- pipelines
    def pipeline(self, context: str, end: str) -> N.Pipe:
        start = self.peek_non_space()
        pipe = N.Pipe(start.pos)
        # declarations: $x := / $x = / $i, $v :=
        mark = self.i
        v = self.next_non_space()
        if v.kind == L.VARIABLE:
            after = self.next_non_space()
            if after.kind in (L.DECLARE, L.ASSIGN):
                pipe.is_assign = after.kind == L.ASSIGN
                pipe.decl.append(N.Variable(v.pos, [v.val]))
                if pipe.is_assign:
                    if v.val not in self.vars:
                        self.fail(f'undefined variable "{v.val}"', v)
                else:
                    self.vars.append(v.val)
            elif after.kind == L.COMMA and context == "range":
                w = self.expect(L.VARIABLE, "range")
                op = self.next_non_space()
                if op.kind not in (L.DECLARE, L.ASSIGN):
                    self.fail("missing := or = in range declaration" if op.kind != L.COMMA
                              else "too many declarations in range", op)
                pipe.is_assign = op.kind == L.ASSIGN
                pipe.decl = [N.Variable(v.pos, [v.val]), N.Variable(w.pos, [w.val])]
                if not pipe.is_assign:
                    self.vars += [v.val, w.val]
            elif after.kind == L.COMMA:
                self.fail(f"too many declarations in {context}", after)
            else:
                self.backup_to(mark)
        else:
            self.backup_to(mark)
        while True:
            item = self.peek_non_space()
            if item.kind == end:
                self.next_non_space()
                self.check_pipeline(pipe, context)
                return pipe
            if item.kind in (L.BOOL, L.CHAR, L.DOT, L.FIELD, L.IDENT, L.NUMBER, L.NIL,
                             L.RAWSTRING, L.STRING, L.VARIABLE, L.LPAREN):
                pipe.cmds.append(self.command())
            else:
                self.next_non_space()
                self.unexpected(item, context)

    def check_pipeline(self, pipe: N.Pipe, context: str) -> None:
        if not pipe.cmds:
            self.fail(f"missing value for {context}")
        for k, cmd in enumerate(pipe.cmds[1:], 2):
            first = cmd.args[0]
            if isinstance(first, N.Bool | N.Dot | N.Nil | N.Number | N.Pipe | N.String):
                self.fail(f"non executable command in pipeline stage {k}")

    def command(self) -> N.Command:
        cmd = N.Command(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            op = self.operand()
            if op is not None:
                cmd.args.append(op)
            item = self.next()
            if item.kind == L.SPACE:
                continue
            if item.kind in (L.RIGHT, L.RPAREN):
                self.i -= 1
            elif item.kind == L.PIPE:
                pass
            else:
                self.fail(f"unexpected {item} in operand", item)
            break
        if not cmd.args:
            self.fail("empty command")
        return cmd

    def operand(self) -> N.Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().kind == L.FIELD:
            # Go positions the whole chain at its second field (parse.go's newChain at
            # t.peek().pos): `.Server.Nope` fails at 1:9, not 1:2
            pos = self.peek().pos
            fields = []
            while self.peek().kind == L.FIELD:
                fields.append(self.next().val[1:])
            if isinstance(node, N.Field):
                return N.Field(pos, node.idents + fields)
            if isinstance(node, N.Variable):
                return N.Variable(pos, node.idents + fields)
            if isinstance(node, N.Bool | N.String | N.Number | N.Nil | N.Dot):
                self.fail(f"unexpected . after term {str(node)!r}".replace("'", '"'))
            return N.Chain(pos, node, fields)
        return node

    def term(self) -> N.Node | None:
        item = self.next_non_space()
        k = item.kind
        if k == L.IDENT:
            if item.val not in self.funcs:
                self.fail(f'function "{item.val}" not defined', item)
            return N.Identifier(item.pos, item.val)
        if k == L.DOT:
            return N.Dot(item.pos)
        if k == L.NIL:
            return N.Nil(item.pos)
        if k == L.VARIABLE:
            if item.val not in self.vars:
                self.fail(f'undefined variable "{item.val}"', item)
            return N.Variable(item.pos, [item.val])
        if k == L.FIELD:
            return N.Field(item.pos, [item.val[1:]])
        if k == L.BOOL:
            return N.Bool(item.pos, item.val == "true")
        if k == L.CHAR:
            if item.val.startswith("'") and len(item.val) > 2:
                try:
                    ch = unquote('"' + item.val[1:-1].replace('"', '\\"') + '"')
                except (ValueError, IndexError):
                    ch = ""
                if len(ch) != 1:
                    self.fail(f"malformed character constant: {item.val}", item)
                return N.Number(item.pos, ord(ch), item.val)
            self.i -= 1
            return None
        if k == L.NUMBER:
            try:
                return N.Number(item.pos, number(item.val), item.val)
            except ValueError:
                self.fail(f"illegal number syntax: {item.val!r}".replace("'", '"'), item)
        if k == L.LPAREN:
            pipe = self.pipeline("parenthesized pipeline", L.RPAREN)
            return pipe
        if k in (L.STRING, L.RAWSTRING):
            return N.String(item.pos, self.string_value(item), item.val)
        self.i -= 1
        return None


def parse(text: str, name: str, funcs: set[str]) -> tuple[list[N.Node], dict]:
    return Parser(text, name, funcs).parse()
