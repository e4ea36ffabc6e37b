"""Build checks with BuildKit's rule names: warnings during every build, the report
of `teu build --check`, and the `# check=skip=A,B;error=true` directive.

Rules checked on the parsed file (`static`): FromAsCasing, StageNameCasing,
DuplicateStageName, MaintainerDeprecated, JSONArgsRecommended,
LegacyKeyValueFormat, MultipleInstructionsDisallowed, ConsistentInstructionCasing,
NoEmptyContinuation, UndefinedArgInFrom, SecretsUsedInArgOrEnv,
InvalidDefaultArgInFrom; while building (or in --check's dry expansion):
UndefinedVar, WorkdirRelativePath.
"""

from __future__ import annotations

import re
import threading

from teu.build.dockerfile import instructions as I
from teu.build.dockerfile import parser as P
from teu.build.record import record

URL = "https://docs.docker.com/go/dockerfile/rule/{}/"
# For ARG and ENV names only: compiled on first use (re caches them), not at import.
_SECRET = (r"(?i)(?:^|[_-])(apikey|auth|credentials?|passwd|password|pword|"
           r"secret|token|access_?key|private_?key)(?:$|[_-])")
_SECRET_OK = r"(?i)^(?:.*_)?(public|file|path|dir|url|name)(?:_.*)?$"


@record
class Finding:
    rule: str
    message: str
    line: int

    def url(self) -> str:
        return URL.format(re.sub(r"(?<!^)(?=[A-Z])", "-", self.rule).lower()
                          .replace("j-s-o-n", "json"))


class Checks:
    def __init__(self, file: str, directive: str = "") -> None:
        self.file = file
        self.findings: list[Finding] = []
        self.skip: set[str] = set()
        self.error = False
        self._lock = threading.Lock()
        self._seen: set[tuple[str, int, str]] = set()
        for part in (directive or "").split(";"):
            k, _, v = part.strip().partition("=")
            k = k.strip().lower()
            if k == "skip":
                self.skip |= {x.strip() for x in v.split(",") if x.strip()}
            elif k == "error":
                self.error = v.strip().lower() == "true"

    def add(self, rule: str, message: str, line: int) -> None:
        if rule in self.skip or "all" in self.skip:
            return
        with self._lock:
            if (rule, line, message) in self._seen:
                return
            self._seen.add((rule, line, message))
            self.findings.append(Finding(rule, message, line))

    def lines(self) -> list[str]:
        return [f"{f.rule}: {f.message} ({self.file}:{f.line})" for f in
                sorted(self.findings, key=lambda f: f.line)]

    # -- run while building ---------------------------------------------------------------

    def undefined_var(self, ins: I.Instruction, name: str, env: dict) -> None:
        if name in env or name in ("PATH",):
            return
        import difflib

        hint = difflib.get_close_matches(name, list(env), n=1)
        more = f" (did you mean ${hint[0]}?)" if hint else ""
        self.add("UndefinedVar", f"Usage of undefined variable '${name}'{more}", ins.line)

    def workdir_relative(self, ins: I.Instruction, path: str) -> None:
        self.add("WorkdirRelativePath", f"Relative workdir \"{path}\" can have unexpected "
                 "results if the base image changes", ins.line)

    def arg_or_env_secret(self, ins: I.Instruction, keys: list[str]) -> None:
        for k in keys:
            if re.search(_SECRET, k) and not re.match(_SECRET_OK, k):
                self.add("SecretsUsedInArgOrEnv", "Do not use ARG or ENV instructions for "
                         f"sensitive data ({ins.keyword} \"{k}\")", ins.line)

    # -- on the parsed file ---------------------------------------------------------------

    def static(self, df: I.Dockerfile) -> None:
        for w in df.parsed.warnings:
            self.add(w.rule, "Empty continuation line found", w.line)
        nodes = df.parsed.nodes
        upper = sum(1 for n in nodes if n.written.isupper())
        lower = sum(1 for n in nodes if n.written.islower())
        majority_upper = upper >= lower
        for n in nodes:
            if majority_upper and not n.written.isupper() or \
                    not majority_upper and not n.written.islower():
                case = "uppercase" if majority_upper else "lowercase"
                self.add("ConsistentInstructionCasing", f"Command '{n.written}' should match "
                         f"the case of the command majority ({case})", n.line)
        names: dict[str, int] = {}
        meta = {k for a in df.meta_args for k, _ in a.pairs}
        meta_defaults = {k: v for a in df.meta_args for k, v in a.pairs}
        for a in df.meta_args:
            self.arg_or_env_secret(a, [k for k, _ in a.pairs])
        from teu.build.dockerfile.lexer import Lex

        for st in df.stages:
            f = st.from_
            if f.as_word:
                if f.written.isupper() != f.as_word.isupper() and \
                        not (f.written.islower() and f.as_word.islower()):
                    self.add("FromAsCasing", f"'{f.as_word}' and '{f.written}' keywords' "
                             "casing do not match", f.line)
                if f.written_name and f.written_name != f.written_name.lower():
                    self.add("StageNameCasing", f"Stage name '{f.written_name}' should be "
                             "lowercase", f.line)
            if st.name:
                if st.name in names:
                    self.add("DuplicateStageName", f"Duplicate stage name \"{st.name}\", "
                             "stage names should be unique", f.line)
                names[st.name] = f.line
            refs = Lex(df.parsed.escape).process(f.base, {**{k: "" for k in meta}})
            for name in sorted(refs.unmatched):
                if name in ("TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
                            "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"):
                    continue
                self.add("UndefinedArgInFrom", f"FROM argument '{name}' is not declared "
                         f"(declare it with `ARG {name}` before the first FROM, line 1)",
                         f.line)
            if refs.matched and all(meta_defaults.get(k) in (None, "") for k in refs.matched) \
                    and Lex(df.parsed.escape).word(f.base, {k: v or "" for k, v in
                                                           meta_defaults.items()}) in ("", ":"):
                self.add("InvalidDefaultArgInFrom", "Default value for ARG "
                         f"{f.base} results in empty or invalid base image name", f.line)
            counts: dict[str, list[int]] = {}
            for c in st.commands:
                if isinstance(c, I.Maintainer):
                    self.add("MaintainerDeprecated", "Maintainer instruction is deprecated "
                             "in favor of using label", c.line)
                if isinstance(c, (I.Cmd, I.Entrypoint)) and c.shell_form and c.cmd:
                    self.add("JSONArgsRecommended", "JSON arguments recommended for "
                             f"{c.keyword} to prevent unintended behavior related to OS "
                             "signals", c.line)
                if isinstance(c, I.KeyValues) and c.legacy:
                    self.add("LegacyKeyValueFormat", f"\"{c.keyword} key=value\" should be "
                             f"used instead of legacy \"{c.keyword} key value\" format", c.line)
                if isinstance(c, (I.Cmd, I.Entrypoint, I.Healthcheck)):
                    counts.setdefault(c.keyword, []).append(c.line)
            for word, lines in counts.items():
                for line in lines[:-1]:
                    self.add("MultipleInstructionsDisallowed", f"Multiple {word} "
                             f"instructions should not be used in the same stage because "
                             "only the last one will be used", line)


def check_directive(parsed: P.Parsed) -> str:
    return parsed.directives.get("check", "")
