"""Pure pieces of teu.build: .dockerignore, --chmod, --mount, RUN's command line and
history, build checks, ARG scopes."""

from __future__ import annotations

import pytest

from teu.build.args import ArgScope
from teu.build.checks import Checks
from teu.build.dockerfile import instructions as I
from teu.build.dockerignore import Matcher, parse
from teu.build.errors import BuildError
from teu.build.stage import go_duration, go_quote
from teu.build.steps import copy as CP
from teu.build.steps import run as RUN


@pytest.mark.parametrize("patterns,path,excluded", [
    ("*.md", "README.md", True), ("*.md", "docs/a.md", False), ("**/*.md", "docs/a.md", True),
    ("**/*.md", "a.md", True), ("docs", "docs/deep/x", True), ("docs/", "docs/x", True),
    ("/build", "build/out", True), ("build/../dist", "dist/x", True),
    ("*\n!keep.md", "keep.md", False), ("*.md\n!keep.md", "other.md", True),
    ("out/**\n!out/keep", "out/keep", False), ("out/**\n!out/keep", "out/drop", True),
    ("a?c", "abc", True), ("a?c", "a/c", False), ("[ab].txt", "b.txt", True),
    ("# comment\n\n  spaced.txt  ", "spaced.txt", True), ("**", "anything/at/all", True),
    ("node_modules", "node_modules", True), ("x\\*y", "x*y", True),
])
def test_dockerignore(patterns: str, path: str, excluded: bool) -> None:
    assert Matcher(parse(patterns)).excluded(path) is excluded


def test_dockerignore_names_the_line_and_skips_dirs_only_without_exceptions() -> None:
    m = Matcher(parse("# x\n*.log\nsecret/\n"))
    hit = m.match("secret/key")
    assert hit is not None and hit.line == 3 and hit.text == "secret/"
    assert m.skip_dir("secret")
    assert not Matcher(parse("secret\n!secret/ok\n")).skip_dir("secret")


@pytest.mark.parametrize("spec,mode,is_dir,expected", [
    ("755", 0o600, False, 0o755), ("0640", 0o777, True, 0o640),
    ("u+x", 0o644, False, 0o744), ("go-w", 0o666, False, 0o644), ("a=r", 0o777, False, 0o444),
    ("u=rwx,g=rx,o=", 0o600, False, 0o750), ("a+X", 0o644, True, 0o755),
    ("a+X", 0o644, False, 0o644), ("u+s", 0o755, False, 0o4755), ("+t", 0o755, True, 0o1755),
])
def test_chmod(spec: str, mode: int, is_dir: bool, expected: int) -> None:
    octal, clauses = CP.parse_chmod(spec)
    assert CP.apply_chmod(mode, octal, clauses, is_dir) == expected


def test_chmod_and_chown_errors() -> None:
    with pytest.raises(BuildError, match="invalid chmod parameter"):
        CP.parse_chmod("rwx")
    files = {"/etc/passwd": b"root:x:0:0::/:/bin/sh\napp:x:1000:1001::/:/bin/sh\n",
             "/etc/group": b"root:x:0:\nstaff:x:50:\n"}
    read = files.get
    assert CP.parse_chown("app", read) == (1000, 1000)  # a user alone: its uid as the group
    assert CP.parse_chown("app:staff", read) == (1000, 50)
    assert CP.parse_chown("12:34", None) == (12, 34)
    with pytest.raises(BuildError, match="no such user: nobody"):
        CP.parse_chown("nobody", read)
    with pytest.raises(BuildError, match="no such group: nogroup"):
        CP.parse_chown("app:nogroup", read)


def test_destination_rules() -> None:
    assert CP.dest_path("rel/", "/app") == ("/app/rel", True)
    assert CP.dest_path(".", "/app") == ("/app", True)
    assert CP.dest_path("/abs/file", "/app") == ("/abs/file", False)


def test_mount_parsing() -> None:
    m = RUN.parse_mount("type=cache,target=/root/.cache,sharing=locked,mode=0700,uid=1")
    assert (m.type, m.id, m.sharing, m.mode, m.uid) == ("cache", "/root/.cache", "locked",
                                                         0o700, 1)
    s = RUN.parse_mount("type=secret,id=tok")
    assert (s.target, s.mode, s.required) == ("/run/secrets/tok", 0o400, False)
    assert RUN.parse_mount("type=secret,id=t,env=T").target == ""
    b = RUN.parse_mount("target=/mnt,source=x,from=build,rw")
    assert (b.type, b.source, b.from_, b.readonly) == ("bind", "x", "build", False)
    assert RUN.parse_mount("type=tmpfs,target=/t,size=1m").size == "1m"
    for spec, msg in [("type=nfs,target=/x", 'unsupported mount type "nfs"'),
                      ("type=cache,target=/x,sharing=odd", 'unsupported sharing value "odd"'),
                      ("type=secret,id=a,from=b", "secret mount should not have a from"),
                      ("type=cache", "target is required"),
                      ("type=cache,target=/x,bogus=1", "unexpected key 'bogus'"),
                      ("type=cache,target=/x,mode=9z", "invalid value 9z for mode")]:
        with pytest.raises(BuildError, match=msg):
            RUN.parse_mount(spec)


def _run(text: str) -> I.Run:
    return I.load("FROM busybox\n" + text).stages[0].commands[0]  # type: ignore[return-value]


def test_run_command_forms_like_buildkit() -> None:
    sh = ["/bin/sh", "-c"]
    assert RUN.command(_run("RUN echo hi\n"), sh).args == ["/bin/sh", "-c", "echo hi"]
    assert RUN.command(_run('RUN ["echo", "hi"]\n'), sh).args == ["echo", "hi"]
    only = RUN.command(_run("RUN <<EOF\necho a\nEOF\n"), sh)
    assert only.args == ["/bin/sh", "-c", "echo a\n"] and not only.scripts
    shebang = RUN.command(_run("RUN <<EOF\n#!/usr/bin/awk -f\nBEGIN{}\nEOF\n"), sh)
    assert shebang.args == ["/dev/pipes/EOF"]
    assert shebang.scripts == {"EOF": b"#!/usr/bin/awk -f\nBEGIN{}\n"}
    mixed = RUN.command(_run("RUN cat <<A > /a\nx\nA\n"), sh)
    assert mixed.args == ["/bin/sh", "-c", "cat <<A > /a\nx\nA"]
    assert RUN.history_line(["/bin/sh", "-c", "make"], [("V", "1"), ("W", "")]) == \
        "RUN |2 V=1 W= /bin/sh -c make # buildkit"
    assert RUN.history_line(["a"], []) == "RUN a # buildkit"


def test_go_formats() -> None:
    assert go_quote(["/bin/sh", "-c", 'echo "x"']) == '["/bin/sh" "-c" "echo \\"x\\""]'
    assert [go_duration(n) for n in (0, 30_000_000_000, 90_000_000_000, 1_500_000_000,
                                     3_600_000_000_000)] == ["0s", "30s", "1m30s", "1.5s",
                                                             "1h0m0s"]


def test_arg_scope() -> None:
    scope = ArgScope({"A": "given", "HTTP_PROXY": "http://p"}, {"G": "global", "A": "g"})
    assert scope.declare("A", "default") == "given"
    assert scope.declare("G", None) == "global"
    assert scope.declare("N", None) is None
    assert scope.declare("D", "d") == "d"
    assert scope.history_pairs() == [("A", "given"), ("G", "global"), ("D", "d")]
    assert scope.used == {"A"} and scope.proxies() == {"HTTP_PROXY": "http://p"}


CHECKED = """\
# check=skip=JSONArgsRecommended
ARG TAG
FROM busybox:${TAG} as Build
FROM ${NOPE} AS build
MAINTAINER me
ENV key value
ARG API_TOKEN
ARG TOKEN_FILE
CMD echo a
CMD echo b
from busybox
"""


def test_static_checks_with_rule_names_and_lines() -> None:
    from teu.build.checks import check_directive

    df = I.load(CHECKED)
    c = Checks("Dockerfile", check_directive(df.parsed))
    c.static(df)
    found = {(f.rule, f.line) for f in c.findings}
    assert ("FromAsCasing", 3) in found and ("StageNameCasing", 3) in found
    assert ("DuplicateStageName", 4) in found and ("UndefinedArgInFrom", 4) in found
    assert ("MaintainerDeprecated", 5) in found and ("LegacyKeyValueFormat", 6) in found
    assert ("MultipleInstructionsDisallowed", 9) in found
    assert ("ConsistentInstructionCasing", 11) in found
    assert not any(r == "JSONArgsRecommended" for r, _ in found)  # skipped by the directive
    assert not any(r == "SecretsUsedInArgOrEnv" for r, _ in found)  # needs the build's walk
    undefined = [f for f in c.findings if f.rule == "UndefinedArgInFrom"][0]
    assert "ARG NOPE" in undefined.message
    assert c.lines()[0].endswith("(Dockerfile:3)")
    c.arg_or_env_secret(df.stages[1].commands[2], ["API_TOKEN", "TOKEN_FILE"])
    assert [f.message for f in c.findings if f.rule == "SecretsUsedInArgOrEnv"] == [
        'Do not use ARG or ENV instructions for sensitive data (ARG "API_TOKEN")']


def test_check_directive_error_and_all() -> None:
    c = Checks("Dockerfile", "skip=all;error=true")
    c.add("FromAsCasing", "x", 1)
    assert c.error and c.findings == []


def test_plain_tag_agrees_with_the_reference_parser() -> None:
    """The fast path for -t accepts only what teu.image.reference accepts, and stores the
    same name; anything it is unsure of goes to the parser (None)."""
    import random

    from teu.build.builder import plain_tag
    from teu.image import reference as R

    cases = ["bench:1", "busybox", "a/b/c:v1.2", "localhost/x:1", "localhost:5000/x:1",
             "docker.io/library/x", "index.docker.io/x", "A", "a:", "a:-x", "a:_x", "a:X1",
             "a..b", "a__b", "a--b", "a.b_c-d:1", "a//b", "x" * 256, "f" * 64,
             "a:" + "x" * 129, "a:" + "x" * 128, "a@sha256:" + "0" * 64, "ex.com/a:1",
             "a b", "Ab:1", "a:b:c", "-a", "a-", "_a", "a/-b", "a:1.0-rc_1", "a:.x"]
    rng = random.Random(1)
    cases += ["".join(rng.choice("ab1.-_/:A") for _ in range(rng.randint(1, 8)))
              for _ in range(2000)]
    fast = 0
    for text in cases:
        got = plain_tag(text)
        if got is None:
            continue
        fast += 1
        assert got == str(R.parse(text)), text
    assert plain_tag("bench:1") == "docker.io/library/bench:1"
    assert plain_tag("localhost/app") == "localhost/app:latest"
    assert fast > 100
