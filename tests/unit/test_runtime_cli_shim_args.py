"""The command lines containerd 1.6's runc shim builds (go-runc v1.0.0's runc.go), parsed
by teu-runtime's command line: the global flags, the verb, its flags and its arguments."""

from __future__ import annotations

import json

import pytest

from teu.runtime import log
from teu.runtime.cli import main as cli
from teu.runtime.cli.kill import parse_signal

GLOBALS = ["--root", "/run/containerd/runc/k8s.io", "--log", "/b/log.json",
           "--log-format", "json"]


def parse(argv: list[str]) -> tuple[dict, str, dict, list[str]]:
    gflags, verb, rest = cli.split_globals(argv)
    flags, positional = cli.parse_verb(cli.verb_module(verb), rest)
    return gflags, verb, flags, positional


@pytest.mark.parametrize(("args", "verb", "flags", "positional"), [
    (["create", "--bundle", "/b", "--pid-file", "/b/init.pid", "ID"], "create",
     {"bundle": "/b", "pid-file": "/b/init.pid"}, ["ID"]),
    (["create", "--bundle", "/b", "--pid-file", "/b/init.pid", "--console-socket",
      "/tmp/pty1/pty.sock", "--no-pivot", "--no-new-keyring", "ID"], "create",
     {"bundle": "/b", "pid-file": "/b/init.pid", "console-socket": "/tmp/pty1/pty.sock",
      "no-pivot": True, "no-new-keyring": True}, ["ID"]),
    (["start", "ID"], "start", {}, ["ID"]),
    (["exec", "--process", "/tmp/runc-process1", "--detach", "--pid-file", "/b/e.pid", "ID"],
     "exec", {"process": "/tmp/runc-process1", "detach": True, "pid-file": "/b/e.pid"},
     ["ID"]),
    (["exec", "--process", "/tmp/p", "--console-socket", "/tmp/s", "--detach", "--pid-file",
      "/b/e.pid", "ID"], "exec",
     {"process": "/tmp/p", "console-socket": "/tmp/s", "detach": True, "pid-file": "/b/e.pid"},
     ["ID"]),
    (["kill", "ID", "15"], "kill", {}, ["ID", "15"]),
    (["kill", "--all", "ID", "9"], "kill", {"all": True}, ["ID", "9"]),
    (["delete", "ID"], "delete", {}, ["ID"]),
    (["delete", "--force", "ID"], "delete", {"force": True}, ["ID"]),
    (["state", "ID"], "state", {}, ["ID"]),
    (["ps", "--format", "json", "ID"], "ps", {"format": "json"}, ["ID"]),
    (["ps", "--format", "table", "ID", "-o pid,args"], "ps", {"format": "table"},
     ["ID", "-o pid,args"]),
    (["pause", "ID"], "pause", {}, ["ID"]),
    (["resume", "ID"], "resume", {}, ["ID"]),
    (["update", "--resources", "-", "ID"], "update", {"resources": "-"}, ["ID"]),
    (["list", "--format=json"], "list", {"format": "json"}, []),
    (["events", "--interval=5s", "ID"], "events", {"interval": "5s"}, ["ID"]),
    (["events", "--stats", "ID"], "events", {"stats": True}, ["ID"]),
])
def test_shim_command_lines(args: list[str], verb: str, flags: dict,
                            positional: list[str]) -> None:
    gflags, got_verb, got_flags, got_positional = parse([*GLOBALS, *args])
    assert gflags == {"root": "/run/containerd/runc/k8s.io", "log": "/b/log.json",
                      "log-format": "json"}
    assert (got_verb, got_flags, got_positional) == (verb, flags, positional)


def test_the_shims_other_global_flags() -> None:
    gflags, verb, rest = cli.split_globals(
        ["--root", "/r", "--debug", "--log", "/l", "--log-format", "json", "--criu", "/c",
         "--systemd-cgroup", "--rootless=false", "state", "ID"])
    assert gflags == {"root": "/r", "debug": True, "log": "/l", "log-format": "json",
                      "criu": "/c", "systemd-cgroup": True, "rootless": "false"}
    assert (verb, rest) == ("state", ["ID"])
    g = cli.Globals(gflags)
    assert (g.root, g.log, g.log_format, g.debug, g.systemd_cgroup) == (
        "/r", "/l", "json", True, True)


def test_a_global_flags_value_is_not_the_verb() -> None:
    # `--root state` names a directory called "state"; the verb is the word after it.
    gflags, verb, rest = cli.split_globals(["--root", "state", "--log", "kill", "kill", "ID"])
    assert (gflags, verb, rest) == ({"root": "state", "log": "kill"}, "kill", ["ID"])


@pytest.mark.parametrize(("text", "number"), [("9", 9), ("15", 15), ("KILL", 9),
                                              ("SIGTERM", 15), ("term", 15), ("0", 0)])
def test_signals_as_the_shim_sends_them(text: str, number: int) -> None:
    assert parse_signal(text) == number


@pytest.mark.parametrize("text", ["65", "-1", "SIGNOPE", ""])
def test_bad_signals(text: str) -> None:
    with pytest.raises(cli.UsageError):
        parse_signal(text)


def test_bad_flag_is_one_line() -> None:
    with pytest.raises(cli.UsageError, match="flag provided but not defined: --nope"):
        parse([*GLOBALS, "kill", "--nope", "ID", "9"])
    with pytest.raises(cli.UsageError, match="flag needs an argument: --pid-file"):
        parse([*GLOBALS, "create", "--bundle", "/b", "--pid-file"])


def test_error_lines_are_what_containerd_decodes(tmp_path, capsys) -> None:  # noqa: ANN001
    """containerd decodes the --log file as a stream of {"level","msg","time"} objects and
    keeps the last error's msg: every line must be one JSON object, quotes and newlines
    in the message escaped."""
    path = tmp_path / "log.json"
    code = cli.main(["--root", str(tmp_path / "root"), "--log", str(path), "--log-format",
                     "json", "kill", 'no"such\nid', "9"])
    assert code == 1
    log.configure(None)  # the module keeps the fd of the last configure
    lines = path.read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert set(entry) == {"level", "msg", "time"} and entry["level"] == "error"
    assert "invalid container id" in entry["msg"]
    assert entry["time"].endswith("Z")
    # With --log, stderr carries the bare message too (go-runc folds it into its error).
    assert "invalid container id" in capsys.readouterr().err
