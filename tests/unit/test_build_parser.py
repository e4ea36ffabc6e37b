"""The Dockerfile parser and shell lexer against BuildKit's rules (pure logic)."""

from __future__ import annotations

import pytest

from teu.build.dockerfile import instructions as I
from teu.build.dockerfile import parser as P
from teu.build.dockerfile.lexer import Lex, LexError
from teu.build.errors import DockerfileError

ENV = {"A": "abc.tar.gz", "E": "", "P": "/usr/local/bin", "W": "two words"}


@pytest.mark.parametrize("word,expected", [
    ("$A", "abc.tar.gz"), ("${A}", "abc.tar.gz"), ("x${A}y", "xabc.tar.gzy"),
    ("${A%.*}", "abc.tar"), ("${A%%.*}", "abc"), ("${A#*.}", "tar.gz"), ("${A##*.}", "gz"),
    ("${A#nomatch}", "abc.tar.gz"), ("${A%?z}", "abc.tar."),
    ("${U:-def}", "def"), ("${E:-def}", "def"), ("${E-def}", ""), ("${U-def}", "def"),
    ("${A:-def}", "abc.tar.gz"), ("${A:+set}", "set"), ("${E:+set}", ""), ("${E+set}", "set"),
    ("${U+x}", ""), ("${U:-$A}", "abc.tar.gz"), ("${U:-'q'}", "q"),
    ("'$A'", "$A"), ('"$A \\$A"', "abc.tar.gz $A"), ("\\$A", "$A"), ('"a\\b"', "a\\b"),
    ("${A/.tar/}", "abc.gz"), ("${P//\\//_}", "_usr_local_bin"), ("$", "$"), ("a$", "a$"),
    ("$U", ""), ("${U}", ""), ("$A-x", "abc.tar.gz-x"), ("\\\\", "\\"), ("a\\", "a"),
    ("$1", ""), ("<<EOF", "<<EOF"), ("<< EOF", "<< EOF"),
])
def test_lexer_word(word: str, expected: str) -> None:
    assert Lex().word(word, ENV) == expected


def test_lexer_words_split_outside_quotes_and_values() -> None:
    lex = Lex()
    assert lex.words("a\\ b c", ENV) == ["a b", "c"]
    assert lex.words('"$W" $W', ENV) == ["two words", "two", "words"]
    assert lex.words("'x y'z", ENV) == ["x yz"]


def test_lexer_matches_and_backtick_escape() -> None:
    r = Lex().process("$A ${U:-x} ${E}", ENV)
    assert r.matched == {"A", "E"} and r.unmatched == {"U"}
    assert Lex("`").word("`$A c:\\path", ENV) == "$A c:\\path"


@pytest.mark.parametrize("word,message", [
    ("${U:?need U}", "U: need U"), ("${U?}", "U: is not allowed to be unset"),
    ("${E:?}", "E: is not allowed to be empty"), ("${A", "missing '}'"),
    ("${}", "bad substitution"), ("${A:#x}", "unsupported modifier (:#)"),
    ("${A!}", "unsupported modifier (!)"), ("'open", "single-quote"), ('"open', "double-quote"),
])
def test_lexer_errors(word: str, message: str) -> None:
    with pytest.raises(LexError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Lex().word(word, ENV)


def test_lexer_skip_unset_keeps_references() -> None:
    assert Lex(skip_unset=True).word("$U ${U} ${U:-x} $A", ENV) == "$U ${U} ${U:-x} abc.tar.gz"


# -- the line parser ---------------------------------------------------------------------


def nodes(text: str) -> list[P.Node]:
    return P.parse(text).nodes


def test_continuations_comments_and_blank_lines() -> None:
    ns = nodes("FROM busybox\n\n# a comment\nRUN echo a \\\n  # dropped\n  && echo b\n"
               "RUN echo c \\  \n\\\n  d\n")
    assert [n.keyword for n in ns] == ["from", "run", "run"]
    assert ns[1].args == ["echo a   && echo b"] and ns[1].line == 4 and ns[1].end_line == 6
    assert ns[1].comments == ["a comment"]
    assert ns[2].args == ["echo c   d"]


def test_empty_continuation_line_is_a_warning() -> None:
    parsed = P.parse("FROM busybox\nRUN echo a \\\n\n  b\n")
    assert parsed.nodes[1].args == ["echo a   b"]
    assert [w.rule for w in parsed.warnings] == ["NoEmptyContinuation"]


def test_directives() -> None:
    parsed = P.parse("# syntax=docker/dockerfile:1.7\n#escape = `\n# check=skip=all\n"
                     "FROM busybox\nRUN echo a `\n  b\n# escape=\\\n")
    assert parsed.directives == {"syntax": "docker/dockerfile:1.7", "escape": "`",
                                 "check": "skip=all"}
    assert parsed.escape == "`" and parsed.nodes[1].args == ["echo a   b"]


def test_directives_end_at_first_other_line() -> None:
    parsed = P.parse("# hello\n# escape=`\nFROM busybox\n")
    assert parsed.directives == {} and parsed.escape == "\\"
    parsed = P.parse("# unknown=1\n# escape=`\nFROM busybox\n")
    assert parsed.directives == {}


@pytest.mark.parametrize("text,message", [
    ("# escape=\\\n# escape=`\nFROM busybox\n",
     "Dockerfile:2: only one escape parser directive can be used"),
    ("# escape=x\nFROM busybox\n",
     "Dockerfile:1: invalid escape token 'x' does not match ` or \\"),
    ("# just a comment\n\n", "file with no instructions"),
    ("FROM busybox\nRUN <<EOF\necho\n", "Dockerfile:2: unterminated heredoc"),
])
def test_parser_errors(text: str, message: str) -> None:
    with pytest.raises(DockerfileError) as e:
        P.parse(text)
    assert message in str(e.value)


def test_heredocs_several_chomp_quoted_fd() -> None:
    ns = nodes("FROM busybox\nRUN <<-A cat >/a && cat <<'B' >/b && cat 3<<C\n\tone $X\n\tA\n"
               "two $Y\nB\nthree\nC\nRUN echo after\n")
    run = ns[1]
    assert [(h.name, h.chomp, h.expand, h.fd) for h in run.heredocs] == [
        ("A", True, True, 0), ("B", False, False, 0), ("C", False, True, 3)]
    assert run.heredocs[0].content == "\tone $X\n" and run.heredocs[0].data() == "one $X\n"
    assert run.heredocs[1].content == "two $Y\n"
    assert run.end_line == 8 and ns[2].args == ["echo after"] and ns[2].line == 9


def test_heredocs_only_in_shell_form_run_copy_add() -> None:
    ns = nodes('FROM busybox\nRUN ["sh", "-c", "cat <<EOF"]\nCMD cat <<EOF\nLABEL a=b\n')
    assert ns[1].heredocs == [] and ns[1].json and ns[2].heredocs == []
    assert [n.keyword for n in ns] == ["from", "run", "cmd", "label"]


def test_json_and_shell_forms() -> None:
    ns = nodes('FROM busybox\nCMD ["echo", "a b"]\nCMD [ "unterminated"\nENTRYPOINT echo x\n'
               'COPY ["a b", "/c d/"]\nVOLUME /a /b\nSHELL ["/bin/bash", "-c"]\n')
    assert ns[1].json and ns[1].args == ["echo", "a b"]
    assert not ns[2].json and ns[2].args == ['[ "unterminated"']
    assert ns[4].json and ns[4].args == ["a b", "/c d/"]
    assert ns[5].args == ["/a", "/b"] and ns[6].args == ["/bin/bash", "-c"]


def test_json_array_of_non_strings_is_an_error() -> None:
    with pytest.raises(DockerfileError, match="Dockerfile:2: .*arrays must be comprised of "
                                              "strings only"):
        P.parse('FROM busybox\nCMD ["a", 1]\n')


def test_flags_are_extracted_with_quotes_and_double_dash() -> None:
    n = nodes('FROM busybox\nCOPY --chown="a b" --link -- --notaflag /d\n')[1]
    assert n.flags == ["--chown=a b", "--link"] and n.args == ["--notaflag", "/d"]


def test_env_label_forms() -> None:
    ns = nodes('FROM busybox\nENV A=1 B="two words" C=x\\ y\nENV LEGACY a value\n'
               "LABEL 'k k'=v\n")
    assert ns[1].pairs == [("A", "1", True), ("B", '"two words"', True), ("C", "x\\ y", True)]
    assert ns[2].pairs == [("LEGACY", "a value", False)]
    assert ns[3].pairs == [("'k k'", "v", True)]


# -- instructions and stages ------------------------------------------------------------


DOCKERFILE = """\
ARG BASE=busybox
ARG TAG
FROM ${BASE}:${TAG:-latest} AS Build
ARG BASE
ENV PATH=/x:$PATH
RUN --mount=type=cache,target=/c --network=none echo hi
COPY --from=other --chown=1:1 --chmod=755 --link --parents --exclude=*.md a b/ /dst/
ADD --checksum=sha256:00 --keep-git-dir=true http://x/y /z
EXPOSE 80/udp 443
USER user:user
WORKDIR /app
STOPSIGNAL SIGINT
HEALTHCHECK --interval=1m30s --timeout=5s --start-period=1s --retries=2 CMD curl x
ONBUILD COPY . /src
MAINTAINER someone
SHELL ["/bin/sh", "-ec"]
ARG A=1 B
FROM scratch
HEALTHCHECK NONE
"""


def test_load_stages_and_meta_args() -> None:
    df = I.load(DOCKERFILE)
    assert [a.pairs for a in df.meta_args] == [[("BASE", "busybox")], [("TAG", None)]]
    build, last = df.stages
    assert build.name == "build" and build.from_.written_name == "Build"
    assert build.base == "${BASE}:${TAG:-latest}" and last.base == "scratch"
    assert df.stage("BUILD") is build and df.stage("1") is last and df.stage("nope") is None
    c = {type(x).__name__: x for x in build.commands}
    run = c["Run"]
    assert run.mounts == ["type=cache,target=/c"] and run.network == "none"
    cp = c["Copy"]
    assert (cp.from_, cp.chown, cp.chmod, cp.link, cp.parents, cp.excludes, cp.sources,
            cp.dest) == ("other", "1:1", "755", True, True, ["*.md"], ["a", "b/"], "/dst/")
    add = c["Add"]
    assert add.checksum == "sha256:00" and add.keep_git_dir
    assert c["Expose"].ports == ["443", "80/udp"]
    hc = c["Healthcheck"]
    assert hc.test == ["CMD-SHELL", "curl x"] and hc.interval == 90_000_000_000
    assert (hc.timeout, hc.start_period, hc.retries) == (5_000_000_000, 1_000_000_000, 2)
    assert c["OnBuild"].expression == "COPY . /src"
    assert c["Shell"].shell == ["/bin/sh", "-ec"]
    assert c["Arg"].pairs == [("A", "1"), ("B", None)]
    assert last.commands[0].test == ["NONE"]


def test_copy_heredoc_sources() -> None:
    df = I.load("FROM busybox\nCOPY <<one <<'two' /dir/\n$X\none\n$Y\ntwo\n")
    cp = df.stages[0].commands[0]
    assert cp.sources == [] and cp.dest == "/dir/"
    assert [(h.name, h.content, h.expand) for h in cp.contents] == [
        ("one", "$X\n", True), ("two", "$Y\n", False)]


@pytest.mark.parametrize("text,message", [
    ("FROM busybox\nFOO bar\n", "Dockerfile:2: unknown instruction: FOO"),
    ("FROM busybox\nCOPYY a b\n", "unknown instruction: COPYY (did you mean copy?)"),
    ("FROM busybox\nCOPY onlyone\n", "Dockerfile:2: COPY requires at least two arguments"),
    ("FROM a b\n", "Dockerfile:1: FROM requires either one or three arguments"),
    ("FROM a AS 1x\n", 'invalid name for build stage: "1x"'),
    ("RUN x\n", "Dockerfile:1: RUN: no build stage in current context"),
    ("FROM busybox\nCOPY --nope a b\n", "Dockerfile:2: COPY: unknown flag: nope"),
    ("FROM busybox\nCOPY --chown a b\n", "COPY: missing a value on flag: chown"),
    ("FROM busybox\nCOPY --link=maybe a b\n", "expecting boolean value for flag link"),
    ("FROM busybox\nCOPY --from=a --from=b a b\n", "duplicate flag specified: from"),
    ("FROM busybox\nENV\n", "ENV requires at least one argument"),
    ("FROM busybox\nENV onlykey\n", "ENV must have two arguments"),
    ("FROM busybox\nLABEL a=b c\n", "Syntax error - can't find = in \"c\""),
    ("FROM busybox\nUSER\n", "USER requires exactly one argument"),
    ("FROM busybox\nWORKDIR\n", "WORKDIR requires exactly one argument"),
    ("FROM busybox\nSHELL sh -c\n", "SHELL requires the arguments to be in JSON form"),
    ("FROM busybox\nONBUILD ONBUILD RUN x\n", "Chaining ONBUILD via `ONBUILD ONBUILD`"),
    ("FROM busybox\nONBUILD FROM x\n", "FROM isn't allowed as an ONBUILD trigger"),
    ("FROM busybox\nHEALTHCHECK NONE x\n", "HEALTHCHECK NONE takes no arguments"),
    ("FROM busybox\nHEALTHCHECK FOO x\n", 'Unknown type "FOO" in HEALTHCHECK'),
    ("FROM busybox\nHEALTHCHECK --retries=-1 CMD x\n", "--retries cannot be negative (-1)"),
    ("FROM busybox\nHEALTHCHECK --interval=1us CMD x\n", "cannot be less than 1ms"),
    ("FROM busybox\nARG =x\n", "ARG names can not be blank"),
    ("FROM busybox\nCOPY a <<EOF\nx\nEOF\n", "COPY cannot accept a heredoc as a destination"),
    ("FROM busybox\nEXPOSE\n", "EXPOSE requires at least one argument"),
])
def test_instruction_errors_like_buildkit(text: str, message: str) -> None:
    with pytest.raises(DockerfileError) as e:
        I.load(text, file="Dockerfile")
    assert message in str(e.value), str(e.value)


def test_error_names_the_file() -> None:
    with pytest.raises(DockerfileError, match=r"^build/Dockerfile\.dev:3: unknown instruction"):
        I.load("FROM busybox\n\nBAD x\n", file="build/Dockerfile.dev")


def test_bom_and_crlf() -> None:
    df = I.load("\ufeffFROM busybox\r\nRUN echo a \\\r\n  b\r\n")
    assert df.stages[0].commands[0].cmd == ["echo a   b"]
