"""Go text/template's lexer: template text in, items out (text/template/parse/lex.go).

Items carry their byte offset and line, so errors say `template: NAME:LINE: ...`
as Go does. Inside an action spaces are items too: the parser needs them to tell
`.A.B` (one chain) from `.A .B` (two arguments).
"""

from __future__ import annotations

# item kinds
TEXT, LEFT, RIGHT, SPACE, FIELD, VARIABLE, IDENT, STRING, RAWSTRING, CHAR, NUMBER = (
    "text", "{{", "}}", "space", "field", "variable", "identifier", "string", "raw string",
    "char", "number")
BOOL, NIL, DOT, PIPE, LPAREN, RPAREN, DECLARE, ASSIGN, COMMA, KEYWORD, EOF, ERROR = (
    "bool", "nil", ".", "|", "(", ")", ":=", "=", ",", "keyword", "EOF", "error")

KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "break",
            "continue"}
_SPACE = " \t\r\n"


class Item:
    __slots__ = ("kind", "val", "pos", "line")

    def __init__(self, kind: str, val: str, pos: int, line: int) -> None:
        self.kind = kind
        self.val = val
        self.pos = pos
        self.line = line

    def __str__(self) -> str:  # how the parser quotes an item in "unexpected X"
        if self.kind == EOF:
            return "EOF"
        if self.kind == ERROR:
            return self.val
        if self.kind == KEYWORD:
            return f"<{self.val}>"
        if self.kind in (CHAR, PIPE, LPAREN, RPAREN, COMMA, DECLARE, ASSIGN):
            return '"' + self.val + '"'
        if len(self.val) > 10:
            return f"{self.val[:10]!r}...".replace("'", '"')
        return f"<{self.val}>" if self.kind in (FIELD, VARIABLE, IDENT, DOT) else \
            '"' + self.val + '"' if self.kind != STRING else self.val


def _is_alnum(ch: str) -> bool:
    return ch == "_" or ch.isalnum()


def lex(text: str, left: str = "{{", right: str = "}}") -> list[Item]:
    """Every item of `text`, ending with EOF or one ERROR item."""
    items: list[Item] = []
    pos = 0
    line = 1
    n = len(text)

    def emit(kind: str, start: int, end: int, val: str | None = None) -> None:
        nonlocal line
        items.append(Item(kind, text[start:end] if val is None else val, start, line))
        line += text.count("\n", start, end)

    def error(msg: str, at: int) -> list[Item]:
        items.append(Item(ERROR, msg, at, line))
        return items

    while True:
        # text up to the next action
        k = text.find(left, pos)
        if k < 0:
            if pos < n:
                emit(TEXT, pos, n)
            items.append(Item(EOF, "", n, line))
            return items
        trim_left = text.startswith("-", k + len(left)) and \
            k + len(left) + 1 < n and text[k + len(left) + 1] in _SPACE
        end_text = k
        if trim_left:
            end_text = len(text[pos:k].rstrip(_SPACE)) + pos
        if end_text > pos:
            emit(TEXT, pos, end_text)
        line += text.count("\n", end_text, k)
        start = k
        pos = k + len(left) + (2 if trim_left else 0)
        # a comment is the whole action: {{/* ... */}}
        if text.startswith("/*", pos):
            close = text.find("*/", pos)
            if close < 0:
                return error("unclosed comment", start)
            after = close + 2
            trim_right = _right_trim(text, after, right)
            if not trim_right and not text.startswith(right, after):
                return error("comment ends before closing delimiter", start)
            after += len(right) + (2 if trim_right else 0)
            line += text.count("\n", pos, after)
            pos = _skip_space(text, after, trim_right)
            continue
        emit(LEFT, start, start + len(left), left)
        parens = 0
        while True:
            trim_right = _right_trim(text, pos, right)
            if trim_right or text.startswith(right, pos):
                if parens:
                    return error("unclosed left paren", pos)
                close = pos + len(right) + (2 if trim_right else 0)
                emit(RIGHT, pos, close, right)
                pos = _skip_space(text, close, trim_right)
                if trim_right:
                    line += text.count("\n", close, pos)
                break
            if pos >= n:
                return error("unclosed action", pos)
            ch = text[pos]
            if ch in _SPACE:
                j = pos
                while j < n and text[j] in _SPACE and not _right_trim(text, j, right):
                    j += 1
                emit(SPACE, pos, j)
                pos = j
            elif ch == ":":
                if not text.startswith(":=", pos):
                    return error("expected :=", pos)
                emit(DECLARE, pos, pos + 2)
                pos += 2
            elif ch == "=":
                emit(ASSIGN, pos, pos + 1)
                pos += 1
            elif ch == "|":
                emit(PIPE, pos, pos + 1)
                pos += 1
            elif ch == ",":
                emit(COMMA, pos, pos + 1)
                pos += 1
            elif ch == '"':
                j = pos + 1
                while True:
                    if j >= n or text[j] == "\n":
                        return error("unterminated quoted string", pos)
                    if text[j] == "\\" and j + 1 < n:
                        j += 2
                        continue
                    if text[j] == '"':
                        break
                    j += 1
                emit(STRING, pos, j + 1)
                pos = j + 1
            elif ch == "`":
                j = text.find("`", pos + 1)
                if j < 0:
                    return error("unterminated raw quoted string", pos)
                emit(RAWSTRING, pos, j + 1)
                pos = j + 1
            elif ch == "'":
                j = pos + 1
                while True:
                    if j >= n or text[j] == "\n":
                        return error("unterminated character constant", pos)
                    if text[j] == "\\" and j + 1 < n:
                        j += 2
                        continue
                    if text[j] == "'":
                        break
                    j += 1
                emit(CHAR, pos, j + 1)
                pos = j + 1
            elif ch == "$":
                j = pos + 1
                while j < n and _is_alnum(text[j]):
                    j += 1
                emit(VARIABLE, pos, j)
                pos = j
            elif ch == ".":
                if pos + 1 < n and text[pos + 1].isdigit():
                    pos = _number(text, pos, emit, error)
                    if pos < 0:
                        return items
                    continue
                j = pos + 1
                while j < n and _is_alnum(text[j]):
                    j += 1
                emit(FIELD if j > pos + 1 else DOT, pos, j)
                pos = j
            elif ch.isdigit() or (ch in "+-" and pos + 1 < n and text[pos + 1].isdigit()):
                pos = _number(text, pos, emit, error)
                if pos < 0:
                    return items
            elif _is_alnum(ch):
                j = pos
                while j < n and _is_alnum(text[j]):
                    j += 1
                word = text[pos:j]
                if word in KEYWORDS:
                    emit(KEYWORD, pos, j)
                elif word in ("true", "false"):
                    emit(BOOL, pos, j)
                elif word == "nil":
                    emit(NIL, pos, j)
                else:
                    emit(IDENT, pos, j)
                pos = j
            elif ch == "(":
                parens += 1
                emit(LPAREN, pos, pos + 1)
                pos += 1
            elif ch == ")":
                parens -= 1
                if parens < 0:
                    return error("unexpected right paren U+0029 ')'", pos)
                emit(RPAREN, pos, pos + 1)
                pos += 1
            elif ch.isprintable() and ord(ch) < 128:
                emit(CHAR, pos, pos + 1)
                pos += 1
            else:
                return error(f"unrecognized character in action: U+{ord(ch):04X} {ch!r}", pos)


def _right_trim(text: str, pos: int, right: str) -> bool:
    """A space, then "-" and the right delimiter: ` -}}` trims the text after."""
    return pos < len(text) and text[pos] in _SPACE and text.startswith("-" + right, pos + 1)


def _skip_space(text: str, pos: int, trim: bool) -> int:
    if not trim:
        return pos
    return len(text) - len(text[pos:].lstrip(_SPACE))


def _number(text: str, pos: int, emit, error) -> int:  # noqa: ANN001
    """Scan a Go number literal (decimal, 0x, 0o, 0b, floats, _ separators, i)."""
    n = len(text)
    j = pos
    if text[j] in "+-":
        j += 1
    digits = "0123456789_"
    if text.startswith(("0x", "0X"), j):
        j += 2
        digits = "0123456789abcdefABCDEF_"
    elif text.startswith(("0o", "0O"), j):
        j += 2
        digits = "01234567_"
    elif text.startswith(("0b", "0B"), j):
        j += 2
        digits = "01_"
    while j < n and text[j] in digits:
        j += 1
    if j < n and text[j] == ".":
        j += 1
        while j < n and text[j] in digits:
            j += 1
    exp = "pP" if digits.startswith("0123456789a") else "eE"
    if j < n and text[j] in exp:
        j += 1
        if j < n and text[j] in "+-":
            j += 1
        while j < n and text[j] in "0123456789_":
            j += 1
    if j < n and text[j] == "i":
        j += 1
    if j < n and _is_alnum(text[j]):
        while j < n and _is_alnum(text[j]):
            j += 1
        error(f"bad number syntax: {text[pos:j]!r}".replace("'", '"'), pos)
        return -1
    emit(NUMBER, pos, j)
    return j
