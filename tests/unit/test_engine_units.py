"""docker's value syntaxes (teu.engine.config.units, timefmt) and the CLI's flag grammar."""

from __future__ import annotations

import pytest

from teu.cli._flags import BOOL, LIST, STR, Flag, parse
from teu.engine import timefmt
from teu.engine.config import units
from teu.engine.errors import InvalidArgument


@pytest.mark.parametrize("text, n", [("512m", 512 << 20), ("1g", 1 << 30), ("1.5g", 3 << 29),
                                     ("100kb", 100 << 10), ("1024", 1024), ("2MB", 2 << 20),
                                     ("7b", 7), ("1T", 1 << 40)])
def test_sizes(text: str, n: int) -> None:
    assert units.size(text) == n


@pytest.mark.parametrize("text", ["12q", "", "m", "-1m", "1.2.3g", "abc", "nan"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid size"):
        units.size(text)


def test_cpus() -> None:
    assert units.nano_cpus("1.5", ncpu=2) == 1_500_000_000
    assert units.nano_cpus("0", ncpu=2) == 0
    for bad in ("-1", "3", "0.001", "x"):
        with pytest.raises(InvalidArgument):
            units.nano_cpus(bad, ncpu=2)


def test_durations_and_signals() -> None:
    assert units.duration("1m30s", "--x") == 90
    assert units.duration("500ms", "--x") == 0.5
    assert units.duration("2h", "--x") == 7200
    assert units.duration("10", "--x") == 10
    with pytest.raises(InvalidArgument):
        units.duration("5x", "--x")
    assert units.signal_number("SIGTERM") == 15
    assert units.signal_number("kill") == 9
    assert units.signal_number("10") == 10
    assert units.signal_number("SIGRTMIN+2") == 36
    with pytest.raises(InvalidArgument):
        units.signal_number("SIGNOPE")
    with pytest.raises(InvalidArgument):
        units.signal_number("99")


def test_ulimits_restart_cpuset() -> None:
    assert units.ulimit("nofile=1024:2048") == {"Name": "nofile", "Soft": 1024, "Hard": 2048}
    assert units.ulimit("nproc=10") == {"Name": "nproc", "Soft": 10, "Hard": 10}
    for bad in ("nofile", "bogus=1", "nofile=2:1", "nofile=a"):
        with pytest.raises(InvalidArgument):
            units.ulimit(bad)
    assert units.restart_policy("on-failure:3") == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert units.restart_policy("no") == {"Name": "no", "MaximumRetryCount": 0}
    for bad in ("always:3", "sometimes", "on-failure:x", "on-failure:-1"):
        with pytest.raises(InvalidArgument):
            units.restart_policy(bad)
    assert units.cpuset("0-2,4") == "0-2,4"
    with pytest.raises(InvalidArgument):
        units.cpuset("2-1")
    assert units.size_text(0) == "0B" and units.size_text(1234) == "1.234kB"
    assert units.size_text(45_600_000) == "45.6MB"


def test_times() -> None:
    assert timefmt.human_duration(0.2) == "Less than a second"
    assert timefmt.human_duration(1) == "1 second"
    assert timefmt.human_duration(59) == "59 seconds"
    assert timefmt.human_duration(90) == "About a minute"
    assert timefmt.human_duration(600) == "10 minutes"
    assert timefmt.human_duration(3600) == "About an hour"
    assert timefmt.human_duration(3 * 86400) == "3 days"
    ts = timefmt.parse_rfc3339("2026-11-27T09:50:01.5Z")
    assert timefmt.rfc3339(ts) == "2026-11-27T09:50:01.500000000Z"
    assert timefmt.parse_rfc3339("2026-11-27T10:50:01+01:00") == ts - 0.5
    assert timefmt.since("10m", now=1000.0) == 400.0
    assert timefmt.since("1700000000") == 1700000000.0
    assert timefmt.rfc3339(None) == timefmt.ZERO


FLAGS = [Flag("detach", "d", BOOL), Flag("interactive", "i", BOOL), Flag("tty", "t", BOOL),
         Flag("env", "e", LIST), Flag("name", None, STR), Flag("rm", None, BOOL)]


def test_flag_grammar() -> None:
    opts, args = parse(["-dit", "--name=x", "-e", "A=1", "-eB=2", "--rm=false", "img", "-e",
                        "cmd"], FLAGS, interspersed=False)
    assert opts == {"detach": True, "interactive": True, "tty": True, "name": "x",
                    "env": ["A=1", "B=2"], "rm": False}
    assert args == ["img", "-e", "cmd"]
    opts, args = parse(["a", "--rm", "b"], FLAGS)
    assert opts == {"rm": True} and args == ["a", "b"]
    assert parse(["--", "-d"], FLAGS) == ({}, ["-d"])
    with pytest.raises(InvalidArgument, match="unknown flag: --bogus"):
        parse(["--bogus"], FLAGS)
    with pytest.raises(InvalidArgument, match="unknown shorthand flag: 'z'"):
        parse(["-dz"], FLAGS)
    with pytest.raises(InvalidArgument, match="needs an argument"):
        parse(["--name"], FLAGS)
