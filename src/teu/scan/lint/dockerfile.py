"""Lint rules over a Dockerfile: the final stage's user and health check, pinned base
images, secrets in ENV/ARG and in RUN lines, port 22."""

from __future__ import annotations

from teu.scan import secrets
from teu.scan.lint.dockerfile_read import Instruction, read_dockerfile
from teu.scan.lint.findings import LintFinding
from teu.scan.lint.refs import is_root_user, tag_problem


def _from_image(args: list[str]) -> tuple[str, str]:
    image = args[0] if args else ""
    alias = args[2] if len(args) >= 3 and args[1].lower() == "as" else ""
    return image, alias


def lint_instructions(instrs: list[Instruction], file: str) -> list[LintFinding]:
    found: list[LintFinding] = []
    stages: set[str] = set()
    final_from = 0
    user: tuple[str, int] | None = None
    health = False
    for ins in instrs:
        k, v = ins.keyword, ins.value
        if k == "FROM":
            image, alias = _from_image(ins.args)
            if image.lower() not in stages:
                problem = tag_problem(image)
                if problem:
                    found.append(LintFinding(problem, f"FROM {image}: "
                                             + ("uses the latest tag" if problem == "TEU102"
                                                else "no tag or digest"), file, ins.line))
            if alias:
                stages.add(alias.lower())
            final_from, user, health = ins.line, None, False
        elif k in ("ENV", "ARG"):
            for name, val in ins.pairs:
                what = secrets.in_text(val) if val else None
                if secrets.secret_name(name) or what:
                    found.append(LintFinding("TEU201", f"{k} {name}: "
                                             + (f"value looks like a {what}" if what
                                                else "named like a secret"), file, ins.line))
        elif k == "RUN":
            what = secrets.in_text(v)
            if what:
                found.append(LintFinding("TEU202", f"RUN holds a {what}", file, ins.line))
        elif k == "USER":
            user = (v.split()[0] if v.split() else "", ins.line)
        elif k == "HEALTHCHECK":
            health = v.split()[:1] != ["NONE"]
        elif k == "EXPOSE":
            for port in v.split():
                if port.split("/")[0] == "22":
                    found.append(LintFinding("TEU402", f"EXPOSE {port}", file, ins.line))
    if final_from:
        if user is None:
            found.append(LintFinding("TEU100", "the final stage sets no USER (runs as root "
                                     "unless the base image set one)", file, final_from))
        elif is_root_user(user[0]):
            found.append(LintFinding("TEU101", f"USER {user[0]}", file, user[1]))
        if not health:
            found.append(LintFinding("TEU401", "the final stage has no HEALTHCHECK", file,
                                     final_from))
    return sorted(found, key=lambda f: (f.line, f.rule))


def lint_dockerfile(text: str, file: str = "Dockerfile") -> list[LintFinding]:
    return lint_instructions(read_dockerfile(text, file), file)
