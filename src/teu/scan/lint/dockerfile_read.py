"""Reading a Dockerfile into instructions: all `teu lint` needs, behind one function.

teu.build is writing the real parser (BuildKit's semantics, every instruction's
flags); when it lands, read_dockerfile should call it and map its nodes to
Instruction, and this module goes away. Handled here: the escape directive,
line continuations (comment lines inside them dropped), comments, heredocs
(their bodies skipped), each instruction's first line number.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Instruction:
    keyword: str        # upper case: FROM, RUN, ENV, ...
    value: str          # the rest, continuations joined with a space
    line: int           # 1-based line of the keyword


def read_dockerfile(text: str) -> list[Instruction]:
    lines = text.splitlines()
    escape = "\\"
    start = 0
    for i, raw in enumerate(lines):        # parser directives: leading `# key=value` lines
        s = raw.strip()
        if not s.startswith("#") or "=" not in s:
            break
        key, _, value = s[1:].partition("=")
        if key.strip().lower() == "escape" and value.strip() in ("\\", "`"):
            escape = value.strip()
        start = i + 1
    out: list[Instruction] = []
    i = start
    while i < len(lines):
        s = lines[i].strip()
        if not s or s.startswith("#"):
            i += 1
            continue
        first = i
        parts = []
        while True:
            cur = lines[i].rstrip()
            if cur.endswith(escape) and i + 1 < len(lines):
                parts.append(cur[:-1].strip())
                i += 1
                while i < len(lines) and lines[i].strip().startswith("#"):
                    i += 1
                if i >= len(lines):
                    break
                continue
            parts.append(cur.strip())
            i += 1
            break
        joined = " ".join(p for p in parts if p)
        keyword, _, value = joined.partition(" ")
        heredoc = _heredoc_marker(value) if keyword.upper() in ("RUN", "COPY", "ADD") else None
        if heredoc:
            while i < len(lines) and lines[i].strip() != heredoc:
                i += 1
            i += 1
        out.append(Instruction(keyword.upper(), value.strip(), first + 1))
    return out


def _heredoc_marker(value: str) -> str | None:
    import re

    m = re.search(r"<<-?(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1", value)
    return m.group(2) if m else None
