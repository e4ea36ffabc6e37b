"""Dockerfile text -> nodes, one per instruction, as BuildKit's parser reads it.

- Directives (`# escape=`, `# syntax=`, `# check=`) only at the very top, each at
  most once; the first line that is not one (blank, comment, instruction) ends them.
- A line ending in the escape character (blanks after it allowed) continues on the
  next; comment lines inside a continuation are dropped, and empty ones too (with
  BuildKit's NoEmptyContinuation warning).
- The first word is the instruction (any case); leading `--flag[=value]` words are its
  flags; the rest is parsed per instruction: JSON arrays for RUN/CMD/ENTRYPOINT/SHELL
  (and COPY/ADD/VOLUME), `key=value` pairs for ENV/LABEL, words for ARG, whitespace
  split for FROM/EXPOSE, the raw string for USER/WORKDIR/STOPSIGNAL/MAINTAINER.
- RUN, COPY and ADD (also under ONBUILD), in shell form, may have heredocs: each
  `<<NAME` word (`<<-` strips leading tabs, a quoted NAME turns expansion off) takes
  the lines after the instruction up to a line that is NAME.
"""

from __future__ import annotations

import re

from teu import fastjson
from teu.build.dockerfile.lexer import Lex, LexError
from teu.build.errors import DockerfileError
from teu.build.record import field, record

DIRECTIVES = ("syntax", "escape", "check")
_DIRECTIVE = re.compile(r"^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
# Used by few Dockerfiles: compiled on first use (re caches them), not at import.
_HEREDOC = r"^(\d*)<<(-?)\s*([^<]*)$"
_LEADING_TABS = r"(?m)^\t+"
HEREDOC_INSTRUCTIONS = ("run", "copy", "add")
JSON_INSTRUCTIONS = ("run", "cmd", "entrypoint", "shell")
JSON_LIST_INSTRUCTIONS = ("copy", "add", "volume")
STRING_INSTRUCTIONS = ("maintainer", "stopsignal", "user", "workdir")


@record
class Heredoc:
    name: str
    content: str = ""
    expand: bool = True
    chomp: bool = False
    fd: int = 0

    def data(self) -> str:
        """The content, with leading tabs stripped for `<<-`."""
        return chomp(self.content) if self.chomp else self.content


@record
class Node:
    keyword: str                 # lower case: "run"
    written: str                 # as written: "Run"
    args: list[str]
    flags: list[str]
    original: str                # the whole logical line
    line: int = 0
    end_line: int = 0
    json: bool = False
    heredocs: list[Heredoc] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    child: Node | None = None    # ONBUILD's instruction
    pairs: list[tuple[str, str, bool]] = field(default_factory=list)  # ENV/LABEL: k, v, k=v?
    health_type: str = ""


@record
class Warning:
    rule: str
    message: str
    line: int
    url: str = ""


@record
class Parsed:
    nodes: list[Node]
    directives: dict[str, str]
    directive_lines: dict[str, int]
    escape: str
    warnings: list[Warning]
    lines: list[str]


def chomp(text: str) -> str:
    return re.sub(_LEADING_TABS, "", text)


class _Directives:
    def __init__(self) -> None:
        self.done = False
        self.seen: dict[str, str] = {}
        self.lines: dict[str, int] = {}
        self.escape = "\\"
        self._continuation = _continuation_re("\\")

    def feed(self, line: str, number: int) -> bool:
        if self.done:
            return False
        if not line.startswith("#"):
            self.done = True
            return False
        m = _DIRECTIVE.match(line[1:].lstrip())
        if not m or m.group(1).lower() not in DIRECTIVES:
            self.done = True
            return False
        key, value = m.group(1).lower(), m.group(2)
        if key in self.seen:
            raise DockerfileError(f"only one {key} parser directive can be used", number)
        self.seen[key] = value
        self.lines[key] = number
        if key == "escape":
            if value not in ("`", "\\"):
                raise DockerfileError(f"invalid escape token '{value}' does not match ` or \\",
                                      number)
            self.escape = value
            self._continuation = _continuation_re(value)
        return True

    def continued(self, line: str) -> tuple[str, bool]:
        """(line without its continuation mark, whether it continues)."""
        m = self._continuation.search(line)
        if not m:
            return line, False
        return line[:m.start()] + (m.group(1) or ""), True


def _continuation_re(esc: str) -> re.Pattern[str]:
    e = re.escape(esc)
    return re.compile(rf"([^{e}]){e}[ \t]*$|^{e}[ \t]*$")


def _is_comment(line: str) -> bool:
    s = line.lstrip()
    return s.startswith("#")


def _split_lines(text: str) -> list[str]:
    """Lines split on \\n only (as BuildKit's scanner), each with its newline."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def parse(text: str | bytes, file: str = "Dockerfile") -> Parsed:
    """Parse a Dockerfile; DockerfileError (with file and line) on bad syntax."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")
    try:
        return _parse(text)
    except DockerfileError as e:
        raise e.located(file) from None


def _parse(text: str) -> Parsed:
    if text.startswith("\ufeff"):
        text = text[1:]
    raw = _split_lines(text)
    lines = [r.rstrip("\r\n") for r in raw]
    d = _Directives()
    nodes: list[Node] = []
    warnings: list[Warning] = []
    comments: list[str] = []
    i = 0
    n = len(raw)
    while i < n:
        physical = lines[i].lstrip()
        number = i + 1
        if _is_comment(physical):
            comment = physical[1:].strip()
            comments = [] if not comment else [*comments, comment]
        if d.feed(physical, number):
            comments = comments[:-1]
        i += 1
        if _is_comment(physical):
            continue
        start = number
        body, more = d.continued(physical)
        if not more and not body.strip():
            continue
        buf = [body]
        empty_continuation = False
        while more and i < n:
            cur = lines[i]
            d.feed(cur, i + 1)
            i += 1
            if _is_comment(cur):
                continue
            if not cur.strip():
                empty_continuation = True
                continue
            body, more = d.continued(cur)
            buf.append(body)
        end = i
        logical = "".join(buf)
        if empty_continuation:
            warnings.append(Warning("NoEmptyContinuation", "Empty continuation line", end,
                                    "https://docs.docker.com/go/dockerfile/rule/"
                                    "no-empty-continuation/"))
        try:
            node = node_from_line(logical, d.escape, comments)
        except DockerfileError as e:
            raise e.located(line=start) from None
        except (LexError, ValueError) as e:
            raise DockerfileError(str(e), start) from None
        if _can_have_heredocs(node) and "<<" in logical:
            try:
                docs = heredocs_in(logical)
            except LexError as e:
                raise DockerfileError(str(e), start) from None
            for doc in docs:
                content: list[str] = []
                done = False
                while i < n:
                    cur = lines[i]
                    i += 1
                    candidate = cur.lstrip("\t") if doc.chomp else cur
                    if candidate == doc.name:
                        done = True
                        break
                    content.append(raw[i - 1] if raw[i - 1].endswith("\n") else raw[i - 1])
                if not done:
                    raise DockerfileError("unterminated heredoc", start)
                doc.content = "".join(content)
                node.heredocs.append(doc)
            end = i
        node.line, node.end_line = start, end
        if node.child is not None:
            node.child.line, node.child.end_line = start, end
            node.child.heredocs = node.heredocs
        nodes.append(node)
        comments = []
    if not nodes:
        raise DockerfileError("file with no instructions", len(lines))
    return Parsed(nodes, dict(d.seen), dict(d.lines), d.escape, warnings, lines)


def _can_have_heredocs(node: Node) -> bool:
    target = node.child if node.keyword == "onbuild" and node.child is not None else node
    return target.keyword in HEREDOC_INSTRUCTIONS and not target.json


def parse_heredoc(word: str) -> Heredoc | None:
    """The heredoc a word like `<<EOF`, `<<-"EOF"` or `3<<X` opens, or None."""
    m = re.match(_HEREDOC, word)
    if not m:
        return None
    rest = m.group(3)
    if not rest:
        return None
    lex = Lex("\\", skip_unset=True)
    words = lex.words(rest, {})
    if len(words) != 1:
        return None
    raw = Lex("\\", skip_unset=True, raw_quotes=True).words(rest, {})
    if len(raw) != 1:
        raise LexError(f"internal lexing of heredoc produced inconsistent results: {rest}")
    quotes = words[0].count("'") + words[0].count('"')
    raw_quotes = raw[0].count("'") + raw[0].count('"')
    return Heredoc(name=words[0], expand=quotes == raw_quotes, chomp=m.group(2) == "-",
                   fd=int(m.group(1) or 0))


def heredocs_in(line: str) -> list[Heredoc]:
    lex = Lex("\\", raw_quotes=True, raw_escapes=True, skip_unset=True)
    try:
        words = lex.words(line, {})
    except LexError:
        return []
    return [h for h in (parse_heredoc(w) for w in words) if h is not None]


# -- one logical line -> a node ------------------------------------------------------


def node_from_line(line: str, escape: str, comments: list[str] | None = None) -> Node:
    stripped = line.strip()
    parts = _WHITESPACE.split(stripped, maxsplit=1)
    written = parts[0]
    rest, flags = ("", [])
    if len(parts) == 2:
        rest, flags = extract_flags(parts[1], escape)
    rest = rest.strip()
    node = Node(keyword=written.lower(), written=written, args=[], flags=flags,
                original=line, comments=list(comments or []))
    kw = node.keyword
    if kw in JSON_INSTRUCTIONS:
        _maybe_json(node, rest, to_list=False)
    elif kw in JSON_LIST_INSTRUCTIONS:
        _maybe_json(node, rest, to_list=True)
    elif kw in ("env", "label"):
        node.pairs = _name_values(rest, kw.upper(), escape)
        node.args = [x for k, v, eq in node.pairs for x in (k, v)]
    elif kw == "arg":
        node.args = parse_words(rest, escape)
    elif kw in ("from", "expose"):
        node.args = _WHITESPACE.split(rest) if rest else []
    elif kw in STRING_INSTRUCTIONS:
        node.args = [rest] if rest else []
    elif kw == "healthcheck":
        _health(node, rest)
    elif kw == "onbuild":
        if rest:
            node.child = node_from_line(rest, escape)
            node.args = [node.child.written, *node.child.args]
    return node


def _maybe_json(node: Node, rest: str, to_list: bool) -> None:
    if not rest:
        return
    parsed = _json_array(rest)
    if parsed is not None:
        node.args, node.json = parsed, True
        return
    if to_list:
        node.args = _WHITESPACE.split(rest)
    else:
        node.args = [rest]


def _json_array(rest: str) -> list[str] | None:
    text = rest.lstrip()
    if not text.startswith("["):
        return None
    try:
        value = fastjson.loads(text)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(v, str) for v in value):
        raise DockerfileError("when using JSON array syntax, arrays must be comprised of "
                              "strings only")
    return value


def _health(node: Node, rest: str) -> None:
    m = re.match(r"(\S+)\s*", rest)
    if not m:
        return
    node.health_type = m.group(1)
    node.args = [m.group(1)]
    cmd = rest[m.end():]
    if cmd:
        parsed = _json_array(cmd)
        if parsed is not None:
            node.args += parsed
            node.json = True
        else:
            node.args.append(cmd)


def _name_values(rest: str, key: str, escape: str) -> list[tuple[str, str, bool]]:
    words = parse_words(rest, escape)
    if not words:
        return []
    if "=" not in words[0]:
        parts = _WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise DockerfileError(f"{key} must have two arguments")
        return [(parts[0], parts[1], False)]
    out = []
    for w in words:
        if "=" not in w:
            raise DockerfileError(f"Syntax error - can't find = in {fastjson.dumps(w)}. "
                                  "Must be of the form: name=value")
        k, _, v = w.partition("=")
        out.append((k, v, True))
    return out


def parse_words(rest: str, escape: str) -> list[str]:
    """Words split on blanks outside quotes; quotes and escapes are kept (for the lexer)."""
    words: list[str] = []
    buf: list[str] = []
    blank_ok = False
    quote = ""
    in_word = False
    i = 0
    n = len(rest)
    while i < n:
        ch = rest[i]
        if not in_word and not quote:
            if ch.isspace():
                i += 1
                continue
            in_word = True
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote != "'":
                if i + 1 == n:
                    i += 1
                    continue
                buf.append(ch)
                i += 1
                ch = rest[i]
            buf.append(ch)
            i += 1
            continue
        if ch.isspace():
            if blank_ok or buf:
                words.append("".join(buf))
            buf, blank_ok, in_word = [], False, False
            i += 1
            continue
        if ch in "'\"":
            quote = ch
            blank_ok = True
        if ch == escape:
            if i + 1 == n:
                i += 1
                continue
            buf.append(ch)
            i += 1
            ch = rest[i]
        buf.append(ch)
        i += 1
    if in_word or quote:
        if blank_ok or buf:
            words.append("".join(buf))
    return words


def extract_flags(line: str, escape: str) -> tuple[str, list[str]]:
    """Leading `--name[=value]` words -> (the rest of the line, the flags)."""
    words: list[str] = []
    i = 0
    n = len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return "", words
        if not line.startswith("--", i):
            return line[i:], words
        buf: list[str] = []
        blank_ok = False
        quote = ""
        while i < n:
            ch = line[i]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == escape:
                    if i + 1 == n:
                        quote = ""
                        i += 1
                        continue
                    i += 1
                    ch = line[i]
                    buf.append(ch)
                else:
                    buf.append(ch)
                i += 1
                continue
            if ch.isspace():
                break
            if ch in "'\"":
                quote = ch
                blank_ok = True
                i += 1
                continue
            if ch == escape:
                if i + 1 == n:
                    i += 1
                    continue
                i += 1
                ch = line[i]
            buf.append(ch)
            i += 1
        word = "".join(buf)
        if word == "--":
            return line[i:], words
        if blank_ok or word:
            words.append(word)
