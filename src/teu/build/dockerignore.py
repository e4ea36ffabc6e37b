"""`.dockerignore` as BuildKit reads it (moby/patternmatcher).

One pattern a line; `#` lines and blank lines are skipped; each pattern is cleaned
like a path (a leading or trailing `/` means nothing, `a/../b` is `b`); `!` makes
an exception; `*` and `?` stop at `/`, `**` crosses any number of directories,
`[...]` and `\\x` as in Go's filepath.Match. A path is excluded when the last
pattern that matches it, or one of its parent directories, is not an exception.
"""

from __future__ import annotations

import posixpath
import re

from teu.build.record import record


@record
class Pattern:
    text: str
    exclusion: bool
    line: int
    regex: re.Pattern[str]


def clean(path: str) -> str:
    p = posixpath.normpath("/" + path.strip()).lstrip("/")
    return p or "."


def _regex(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                    out.append("(?:.*/)?")
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1:j]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    return re.compile("".join(out), re.S)


def parse(text: str) -> list[Pattern]:
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        if not line:
            continue
        p = clean(line)
        out.append(Pattern(raw.strip(), exclusion, number, _regex(p)))
    return out


class Matcher:
    def __init__(self, patterns: list[Pattern], file: str = ".dockerignore") -> None:
        self.patterns = patterns
        self.file = file
        self.has_exceptions = any(p.exclusion for p in patterns)

    def match(self, rel: str) -> Pattern | None:
        """The pattern that excludes `rel` (a path relative to the context), or None."""
        rel = clean(rel)
        if rel == "." or not self.patterns:
            return None
        parents = []
        parts = rel.split("/")
        for k in range(1, len(parts)):
            parents.append("/".join(parts[:k]))
        decided: Pattern | None = None
        for p in self.patterns:
            hit = bool(p.regex.match(rel)) or any(p.regex.match(q) for q in parents)
            if hit:
                decided = None if p.exclusion else p
        return decided

    def excluded(self, rel: str) -> bool:
        return self.match(rel) is not None

    def skip_dir(self, rel: str) -> bool:
        """A directory whose whole subtree is excluded (no exception could bring a
        child back)."""
        return not self.has_exceptions and self.excluded(rel)
