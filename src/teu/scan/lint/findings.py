"""Lint findings and their output: text (hadolint's line style), JSON, SARIF 2.1.0."""

from __future__ import annotations

import json
from dataclasses import dataclass

from teu import __version__
from teu.scan.lint.rules import LEVELS, RULES


@dataclass
class LintFinding:
    rule: str
    message: str
    file: str = ""
    line: int = 0

    @property
    def level(self) -> str:
        return RULES[self.rule].level

    def to_dict(self) -> dict:
        r = RULES[self.rule]
        return {"code": self.rule, "name": r.name, "level": r.level, "file": self.file,
                "line": self.line, "message": self.message, "reason": r.reason, "fix": r.fix}


def at_or_above(findings: list[LintFinding], threshold: str) -> list[LintFinding]:
    if threshold == "none":
        return []
    floor = LEVELS.index(threshold)
    return [f for f in findings if LEVELS.index(f.level) >= floor]


def text(findings: list[LintFinding]) -> str:
    out = []
    for f in findings:
        where = f"{f.file}:{f.line}" if f.line else (f.file or "-")
        r = RULES[f.rule]
        out.append(f"{where} {f.rule} {r.level}: {f.message}\n    why: {r.reason}\n"
                   f"    fix: {r.fix}")
    return "".join(line + "\n" for line in out)


def as_json(findings: list[LintFinding]) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2) + "\n"


def sarif(findings: list[LintFinding]) -> str:
    used = sorted({f.rule for f in findings})
    level = {"error": "error", "warning": "warning", "info": "note", "style": "note"}
    doc = {"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
           "runs": [{"tool": {"driver": {
               "name": "teu lint", "version": __version__,
               "informationUri": "https://teu.invalid/lint",
               "rules": [{"id": i, "name": RULES[i].name,
                          "shortDescription": {"text": RULES[i].reason},
                          "help": {"text": RULES[i].fix},
                          "defaultConfiguration": {"level": level[RULES[i].level]}}
                         for i in used]}},
               "results": [{
                   "ruleId": f.rule, "level": level[f.level], "message": {"text": f.message},
                   "locations": [{"physicalLocation": {
                       "artifactLocation": {"uri": f.file or "image"},
                       **({"region": {"startLine": f.line}} if f.line else {})}}]}
                   for f in findings]}]}
    return json.dumps(doc, indent=2) + "\n"


def render(fmt: str, findings: list[LintFinding]) -> str:
    return {"text": text, "json": as_json, "sarif": sarif}[fmt](findings)
