"""Word expansion as BuildKit's shell lexer does it (not a shell: no commands, no globs).

    'single'        literal up to the next quote
    "double"        $ expands inside; the escape only escapes " $ and itself
    \\x             x literally (outside quotes); a trailing escape is dropped
    $V ${V}         the value, empty if unset (recorded in `unmatched`)
    ${V:-w} ${V-w}  w if V is unset (or, with ':', empty)
    ${V:+w} ${V+w}  w if V is set (and, with ':', not empty), else empty
    ${V:?m} ${V?m}  an error "V: m" if unset (or empty)
    ${V#p} ${V##p}  V without its shortest (longest) prefix matching the pattern p
    ${V%p} ${V%%p}  ... suffix
    ${V/p/r} ${V//p/r}  the first (every) match of p replaced by r
    <<              kept with the blanks after it (so `<< EOF` stays one heredoc word)

Patterns know `*`, `?` and escapes only, as BuildKit's do. `process` returns the
joined result, the words (split on unquoted blanks, blanks from a variable's value
split too) and the names found and not found; `skip_unset` leaves unset
references as written (the parser's heredoc detection uses it).
"""

from __future__ import annotations

import re

from teu.build.record import field, record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~3 ms

if TYPE_CHECKING:
    from collections.abc import Mapping

_SPECIAL = "@*#?-$!0"
_BLANKS = " \t\n\r\v\f"


class LexError(ValueError):
    pass


@record
class Expansion:
    result: str
    words: list[str]
    matched: set[str] = field(default_factory=set)
    unmatched: set[str] = field(default_factory=set)


class _Words:
    def __init__(self) -> None:
        self.words: list[str] = []
        self.buf: list[str] = []
        self.in_word = False

    def char(self, ch: str) -> None:
        if ch in _BLANKS:
            if self.in_word and self.buf:
                self.words.append("".join(self.buf))
                self.buf = []
                self.in_word = False
        else:
            self.raw_char(ch)

    def raw_char(self, ch: str) -> None:
        self.buf.append(ch)
        self.in_word = True

    def string(self, s: str) -> None:
        for ch in s:
            self.char(ch)

    def raw_string(self, s: str) -> None:
        self.buf.append(s)
        self.in_word = True

    def done(self) -> list[str]:
        if self.buf:
            self.words.append("".join(self.buf))
            self.buf = []
        return self.words


class Lex:
    def __init__(self, escape: str = "\\", *, raw_quotes: bool = False,
                 raw_escapes: bool = False, skip_unset: bool = False,
                 skip_quotes: bool = False) -> None:
        self.escape = escape
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.skip_unset = skip_unset
        self.skip_quotes = skip_quotes

    def word(self, text: str, env: Mapping[str, str]) -> str:
        """ProcessWord: the expansion as one string."""
        return self.process(text, env).result

    def words(self, text: str, env: Mapping[str, str]) -> list[str]:
        """ProcessWords: the expansion split into words."""
        return self.process(text, env).words

    def process(self, text: str, env: Mapping[str, str]) -> Expansion:
        run = _Run(self, text, env)
        try:
            result, words = run.until(None, self.raw_escapes)
        except LexError as e:
            raise LexError(f"failed to process {text!r}: {e}") from None
        return Expansion(result, words, run.matched, run.unmatched)


class _Run:
    def __init__(self, lex: Lex, text: str, env: Mapping[str, str]) -> None:
        self.lex = lex
        self.s = text
        self.i = 0
        self.env = env
        self.matched: set[str] = set()
        self.unmatched: set[str] = set()

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def next(self) -> str:
        ch = self.peek()
        if ch:
            self.i += 1
        return ch

    def get(self, name: str) -> tuple[str, bool]:
        value = self.env.get(name)
        if value is None:
            self.unmatched.add(name)
            return "", False
        self.matched.add(name)
        return value, True

    def until(self, stop: str | None, raw_escapes: bool) -> tuple[str, list[str]]:
        lex = self.lex
        out: list[str] = []
        words = _Words()
        while self.peek():
            ch = self.peek()
            if stop is not None and ch == stop:
                self.next()
                return "".join(out), words.done()
            if ch == "$":
                tmp = self.dollar()
                out.append(tmp)
                words.string(tmp)
            elif ch == "<":
                tmp = self.heredoc_start()
                out.append(tmp)
                words.raw_string(tmp)
            elif ch in "'\"" and not lex.skip_quotes:
                tmp = self.single() if ch == "'" else self.double(raw_escapes)
                out.append(tmp)
                words.raw_string(tmp)
            else:
                ch = self.next()
                if ch == lex.escape:
                    if raw_escapes:
                        words.raw_char(ch)
                        out.append(ch)
                    ch = self.next()
                    if not ch:
                        break
                    words.raw_char(ch)
                else:
                    words.char(ch)
                out.append(ch)
        if stop is not None:
            raise LexError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(out), words.done()

    def single(self) -> str:
        raw = self.lex.raw_quotes
        q = self.next()
        out = [q] if raw else []
        while True:
            ch = self.next()
            if not ch:
                raise LexError("unexpected end of statement while looking for matching "
                               "single-quote")
            if ch == "'":
                if raw:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def double(self, raw_escapes: bool) -> str:
        raw = self.lex.raw_quotes
        q = self.next()
        out = [q] if raw else []
        esc = self.lex.escape
        while True:
            ch = self.peek()
            if not ch:
                raise LexError("unexpected end of statement while looking for matching "
                               "double-quote")
            if ch == '"':
                self.next()
                if raw:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
                continue
            ch = self.next()
            if ch == esc:
                if raw_escapes:
                    out.append(ch)
                nxt = self.peek()
                if not nxt:
                    continue
                if nxt in ('"', "$", esc):
                    ch = self.next()
            out.append(ch)

    def heredoc_start(self) -> str:
        self.next()
        if self.peek() != "<":
            return "<"
        self.next()
        space = []
        while self.peek() in ("\t", "\r", " ") and self.peek():
            space.append(self.next())
        return "<<" + "".join(space)

    def name(self) -> str:
        out: list[str] = []
        while self.peek():
            ch = self.peek()
            if not out and ch.isdigit():
                while self.peek() and self.peek().isdigit():
                    out.append(self.next())
                return "".join(out)
            if not out and ch in _SPECIAL:
                return self.next()
            if not (ch.isalnum() or ch == "_"):
                break
            out.append(self.next())
        return "".join(out)

    def dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.name()
            if not name:
                return "$"
            value, found = self.get(name)
            if not found and self.lex.skip_unset:
                return "$" + name
            return value
        self.next()
        if not self.peek():
            raise LexError("syntax error: missing '}'")
        if self.peek() in "{}:":
            raise LexError("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        chs = ch
        colon = False
        if ch == "}":
            value, found = self.get(name)
            if not found and self.lex.skip_unset:
                return "${" + name + "}"
            return value
        if ch == ":":
            colon = True
            ch = self.next()
            chs += ch
        if ch in ("+", "-", "?", "#", "%"):
            raw = ch in "#%"
            if colon and raw:
                raise LexError(f"unsupported modifier ({chs}) in substitution")
            try:
                word, _ = self.until("}", raw)
            except LexError:
                if not self.peek():
                    raise LexError("syntax error: missing '}'") from None
                raise
            value, found = self.get(name)
            if self.lex.skip_unset and not found:
                return "${" + name + chs + word + "}"
            empty = not found or (colon and value == "")
            if ch == "-":
                return word if empty else value
            if ch == "+":
                return "" if empty else word
            if ch == "?":
                if not found:
                    raise LexError(f"{name}: {word or 'is not allowed to be unset'}")
                if colon and value == "":
                    raise LexError(f"{name}: {word or 'is not allowed to be empty'}")
                return value
            greedy = word[:1] == ch
            if greedy:
                word = word[1:]
            return _trim(word, value, greedy, suffix=ch == "%")
        if ch == "/" and not colon:
            every = self.peek() == "/"
            if every:
                self.next()
            try:
                pattern, _ = self.until("/", True)
            except LexError:
                raise LexError("syntax error: missing '/' in ${}") from None
            try:
                repl, _ = self.until("}", True)
            except LexError:
                raise LexError("syntax error: missing '}'") from None
            value, found = self.get(name)
            if self.lex.skip_unset and not found:
                return "${" + name + "/" + pattern + "/" + repl + "}"
            rx = _pattern(pattern, greedy=True)
            if every:
                return rx.sub(lambda _m: repl, value)
            return rx.sub(lambda _m: repl, value, count=1)
        if not ch:
            raise LexError("syntax error: missing '}'")
        raise LexError(f"unsupported modifier ({chs}) in substitution")


def _pattern(pattern: str, greedy: bool) -> re.Pattern[str]:
    """A shell pattern (only * ? and escapes, like BuildKit) as a regex."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*":
            out.append(".*" if greedy else ".*?")
        elif ch == "?":
            out.append(".")
        elif ch == "\\":
            if i < len(pattern) and pattern[i] in "}/":
                continue
            nxt = pattern[i] if i < len(pattern) else ""
            i += 1
            if nxt not in ("*", "?", "\\"):
                raise LexError(f"invalid pattern ({pattern}) in substitution: "
                               f"invalid escape '\\{nxt}'")
            out.append(re.escape(nxt))
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.S)


def _trim(pattern: str, value: str, greedy: bool, suffix: bool) -> str:
    rx = _pattern(pattern, greedy=True)
    n = len(value)
    # Shortest match first unless greedy (longest first).
    cuts = range(n, -1, -1) if greedy else range(0, n + 1)
    for k in cuts:
        part = value[n - k:] if suffix else value[:k]
        if rx.fullmatch(part):
            return value[:n - k] if suffix else value[k:]
    return value
