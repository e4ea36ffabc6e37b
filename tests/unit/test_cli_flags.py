"""The one flag parser (teu.cli._flags): pflag's grammar, cobra's argument checks, and
docker 20.10's exact messages and exit codes (taken from /usr/bin/docker 20.10)."""

from __future__ import annotations

import pytest

from teu.cli._flags import BOOL, INT, LIST, STR, Flag, UsageError, check_args, parse, parse_or_help

FLAGS = [Flag("all", "a", BOOL), Flag("last", "n", INT), Flag("filter", "f", LIST),
         Flag("format", None, STR), Flag("detach", "d", BOOL)]


def error(argv: list[str], prog: str = "teu ps") -> UsageError:
    with pytest.raises(UsageError) as e:
        parse(argv, FLAGS, prog=prog)
    return e.value


def test_grammar() -> None:
    assert parse(["-an", "3", "--format={{.ID}}", "-f", "a=1", "-fb=2", "x"], FLAGS) == (
        {"all": True, "last": 3, "format": "{{.ID}}", "filter": ["a=1", "b=2"]}, ["x"])
    assert parse(["--all=false", "-d=true", "-n=-1"], FLAGS)[0] == \
        {"all": False, "detach": True, "last": -1}
    assert parse(["a", "--", "-a"], FLAGS) == ({}, ["a", "-a"])
    assert parse(["img", "-a"], FLAGS, interspersed=False) == ({}, ["img", "-a"])


@pytest.mark.parametrize("argv,message", [
    (["--bogus"], "unknown flag: --bogus\nSee 'teu ps --help'."),
    (["-ax"], "unknown shorthand flag: 'x' in -x\nSee 'teu ps --help'."),
    (["--format"], "flag needs an argument: --format\nSee 'teu ps --help'."),
    (["-f"], "flag needs an argument: 'f' in -f\nSee 'teu ps --help'."),
    (["-n", "abc"], 'invalid argument "abc" for "-n, --last" flag: strconv.ParseInt: parsing '
     '"abc": invalid syntax\nSee \'teu ps --help\'.'),
    (["-d=x"], 'invalid argument "x" for "-d, --detach" flag: strconv.ParseBool: parsing '
     '"x": invalid syntax\nSee \'teu ps --help\'.'),
])
def test_flag_errors_are_pflags_and_exit_125(argv: list[str], message: str) -> None:
    e = error(argv)
    assert str(e) == message and e.exit_code == 125 and e.bare


@pytest.mark.parametrize("n,lo,hi,first", [
    (0, 1, None, '"teu x" requires at least 1 argument.'),
    (1, 2, None, '"teu x" requires at least 2 arguments.'),
    (3, 2, 2, '"teu x" requires exactly 2 arguments.'),
    (0, 1, 1, '"teu x" requires exactly 1 argument.'),
    (2, 0, 1, '"teu x" requires at most 1 argument.'),
    (1, 0, 0, '"teu x" accepts no arguments.'),
    (3, 1, 2, '"teu x" requires at least 1 and at most 2 arguments.'),
])
def test_argument_counts_are_cobras_and_exit_1(n: int, lo: int, hi: int | None,
                                                first: str) -> None:
    with pytest.raises(UsageError) as e:
        check_args(["a"] * n, "teu x", "[OPTIONS] ARG", "Do x", lo, hi)
    assert e.value.exit_code == 1
    assert str(e.value) == f"{first}\nSee 'teu x --help'.\n\nUsage:  teu x [OPTIONS] ARG\n\nDo x"


def test_help_unless_the_verb_owns_h(capsys) -> None:
    assert parse_or_help(["-h"], FLAGS, "teu ps", "[OPTIONS]", "List containers") is None
    out = capsys.readouterr().out
    assert out.startswith("\nUsage:  teu ps [OPTIONS]\n\nList containers\n\nOptions:\n")
    assert "  -n, --last int" in out
    hostname = [Flag("hostname", "h", STR)]
    assert parse_or_help(["-h", "box", "img"], hostname, "teu run", "", "", False, 1) == \
        ({"hostname": "box"}, ["img"])
