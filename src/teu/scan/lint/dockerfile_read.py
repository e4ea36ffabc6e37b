"""Reading a Dockerfile into what the lint rules look at, through teu.build's parser
(BuildKit's reading: directives, continuations, heredocs, flags, ENV pairs), so lint
and build never disagree on what a Dockerfile says."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Instruction:
    keyword: str        # upper case: FROM, RUN, ENV, ...
    value: str          # the arguments (RUN: with its heredocs' bodies), flags left out
    line: int           # 1-based line of the keyword
    pairs: list[tuple[str, str]] = field(default_factory=list)    # ENV and ARG
    args: list[str] = field(default_factory=list)


def read_dockerfile(text: str, file: str = "Dockerfile") -> list[Instruction]:
    from teu.build.dockerfile.parser import parse

    out = []
    for node in parse(text, file).nodes:
        kw = node.keyword.upper()
        value = " ".join(node.args)
        if node.heredocs:
            value += "\n" + "\n".join(h.content for h in node.heredocs)
        pairs: list[tuple[str, str]] = []
        if kw == "ENV":
            pairs = [(k, v) for k, v, _ in node.pairs]
        elif kw == "ARG":
            pairs = [(a.partition("=")[0], a.partition("=")[2]) for a in node.args]
        out.append(Instruction(kw, value, node.line, pairs, list(node.args)))
    return out
