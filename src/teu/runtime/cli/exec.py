"""usage: teu-runtime exec [--process FILE] [--tty] [--detach] [--console-socket PATH]
                        [--pid-file PATH] [--env K=V]... [--cwd DIR] [--user UID[:GID]]
                        [--additional-gids GID]... [--cap CAP]... [--no-new-privs]
                        [--preserve-fds N] [--ignore-paused] [--cgroup [CTRL:]PATH]...
                        ID [COMMAND [ARG...]]

Run a process inside a running container: the container's own process settings,
with COMMAND and the flags' changes, or exactly the process JSON of --process.
"""

from __future__ import annotations

from teu.errors import TeuError
from teu.runtime.cli.main import Globals, UsageError, need_id

FLAGS = {"process": (True, False), "tty": (False, False), "detach": (False, False),
         "console-socket": (True, False), "pid-file": (True, False), "env": (True, True),
         "cwd": (True, False), "user": (True, False), "additional-gids": (True, True),
         "cap": (True, True), "no-new-privs": (False, False), "preserve-fds": (True, False),
         "ignore-paused": (False, False), "process-label": (True, False),
         "apparmor": (True, False), "cgroup": (True, True)}
STOP_AT_ARGS = True  # what follows the id is the command and its own flags
ALIASES = {"p": "process", "t": "tty", "d": "detach", "e": "env", "u": "user",
           "g": "additional-gids", "c": "cap"}


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    """The process's exit code; any failure to start it is 255, as runc exits."""
    try:
        return _run(g, flags, positional)
    except UsageError:
        raise
    except TeuError as e:
        raise TeuError(f"exec failed: {e}", 255) from None


def _run(g: Globals, flags: dict, positional: list[str]) -> int:
    from teu.runtime.exec import ExecOptions, exec_process, process_from_container
    from teu.runtime.lifecycle import load, saved_config

    cid = need_id(positional, "exec")
    sub_cgroups = None
    if flags.get("cgroup"):
        from teu.runtime.cgroups.subcgroups import parse

        sub_cgroups = parse(flags["cgroup"])
    if flags.get("process"):
        try:
            from teu import fastjson  # json imports re and enum: ~7 ms on every exec

            with open(flags["process"], "rb") as f:
                process = fastjson.loads(f.read())
        except OSError as e:
            raise TeuError(f"--process {flags['process']}: {e.strerror}") from None
        except ValueError as e:
            raise TeuError(f"--process {flags['process']}: not valid JSON: {e}") from None
        if not isinstance(process, dict):
            raise TeuError(f"--process {flags['process']}: not a JSON object")
    else:
        if len(positional) < 2:
            raise UsageError("exec: a command to run is required (or --process FILE)")
        try:
            gids = [int(x) for x in flags.get("additional-gids", [])]
        except ValueError:
            raise UsageError("--additional-gids takes numbers") from None
        config = saved_config(load(g.root, cid))
        process = process_from_container(
            config, positional[1:], env=flags.get("env"), cwd=flags.get("cwd"),
            user=flags.get("user"), tty=bool(flags.get("tty")), additional_gids=gids,
            caps=flags.get("cap"), no_new_privs=bool(flags.get("no-new-privs")))
        if flags.get("apparmor"):
            process["apparmorProfile"] = flags["apparmor"]
    try:
        preserve = int(flags.get("preserve-fds", 0))
    except ValueError:
        raise UsageError("--preserve-fds takes a number") from None
    opts = ExecOptions(detach=bool(flags.get("detach")), pid_file=flags.get("pid-file"),
                       console_socket=flags.get("console-socket"), preserve_fds=preserve,
                       ignore_paused=bool(flags.get("ignore-paused")),
                       sub_cgroups=sub_cgroups)
    return exec_process(g.root, cid, process, opts)
