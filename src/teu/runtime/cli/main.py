"""`teu-runtime`: runc's command line over teu.runtime. One module per verb.

A hand-rolled parser, not argparse: conmon and podman start this program for
every container, so each millisecond of start-up counts, and runc's flag
grammar (urfave/cli: -flag or --flag, value as next word or after '=') is small.
"""

from __future__ import annotations

import os
import sys

from teu.errors import TeuError

# verb -> module under teu.runtime.cli (imported only when used)
VERBS = {
    "create": "create", "start": "start", "run": "run", "state": "state", "kill": "kill",
    "delete": "delete", "exec": "exec", "list": "list", "ls": "list", "ps": "ps",
    "pause": "pause", "resume": "resume", "update": "update", "spec": "spec",
    "features": "features", "events": "events",
}

# name -> (takes a value, may repeat); aliases map to canonical names
GLOBAL_FLAGS = {
    "root": (True, False), "log": (True, False), "log-format": (True, False),
    "debug": (False, False), "systemd-cgroup": (False, False), "criu": (True, False),
    "rootless": (True, False), "help": (False, False), "version": (False, False),
}
GLOBAL_ALIASES = {"h": "help", "v": "version"}

# verb -> one line, for `--help` and each verb's NAME line (urfave/cli's layout, as runc)
SUMMARIES = {
    "create": "create a container", "delete": "delete any resources held by the container",
    "events": "display container events such as OOM notifications, cpu, memory, and IO "
              "usage statistics",
    "exec": "execute new process inside the container",
    "features": "show the enabled features", "kill": "kill sends the specified signal "
    "(default: SIGTERM) to the container's init process",
    "list": "lists containers started by teu-runtime with the given root",
    "pause": "pause suspends all processes inside the container",
    "ps": "ps displays the processes running inside a container",
    "resume": "resumes all processes that have been previously paused",
    "run": "create and run a container", "spec": "create a new specification file",
    "start": "executes the user defined process in a created container",
    "state": "output the state of a container",
    "update": "update container resource constraints",
}

USAGE = """NAME:
   teu-runtime - Open Container Initiative runtime

USAGE:
   teu-runtime [global options] command [command options] [arguments...]

DESCRIPTION:
   teu-runtime is a command line client for running applications packaged
   according to the Open Container Initiative (OCI) format, with runc's
   command line: engines that drive runc can drive it.

COMMANDS:
{commands}
   help, h     Shows a list of commands or help for one command

GLOBAL OPTIONS:
   --debug             enable debug logging
   --log value         set the log file to write teu-runtime logs to (default is '/dev/stderr')
   --log-format value  set the log format ('text' (default), or 'json') (default: "text")
   --root value        root directory for storage of container state (default: "{root}")
   --systemd-cgroup    enable systemd cgroup support, expects cgroupsPath to be of form
                       "slice:prefix:name" for e.g. "system.slice:runc:434234"
   --help, -h          show help
   --version, -v       print the version
"""


def top_help() -> str:
    from teu.runtime.state import DEFAULT_ROOT

    commands = "\n".join(f"   {v:<11} {SUMMARIES[v]}" for v in sorted(SUMMARIES))
    return USAGE.format(commands=commands, root=DEFAULT_ROOT)


def verb_help(verb: str, doc: str) -> str:
    """A verb's docstring ("usage: ..." then a description) in urfave/cli's layout."""
    usage, _, description = doc.strip().partition("\n\n")
    usage = usage.removeprefix("usage: ").replace("\n", "\n   ")
    text = f"NAME:\n   teu-runtime {verb} - {SUMMARIES.get(verb, verb)}\n\nUSAGE:\n   {usage}\n"
    if description:
        text += "\nDESCRIPTION:\n   " + description.strip().replace("\n", "\n   ") + "\n"
    return text


def version_text() -> str:
    """runc's --version layout: version, commit, spec, then the libraries that matter."""
    import platform

    from teu import __version__
    from teu.runtime.seccomp import libseccomp_version

    return (f"teu-runtime version {__version__}\ncommit: {_commit()}\nspec: 1.2.0\n"
            f"python: {platform.python_version()}\n"
            f"libseccomp: {libseccomp_version() or 'not found'}\n")


def _commit() -> str:
    """The git commit teu runs from, when it runs from a checkout (else "unknown")."""
    import subprocess

    here = os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(["git", "-C", here, "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


class UsageError(TeuError):
    pass


def parse_flags(args: list[str], spec: dict, aliases: dict | None = None,
                stop_at_positional: bool = True) -> tuple[dict, list[str]]:
    """Parse runc-style flags; returns (flags, positional args)."""
    aliases = aliases or {}
    flags: dict = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            positional.extend(args[i + 1:])
            break
        if arg.startswith("-") and arg != "-" and not (positional and stop_at_positional):
            name, eq, value = arg.lstrip("-").partition("=")
            name = aliases.get(name, name)
            if name not in spec:
                raise UsageError(f"flag provided but not defined: {arg}")
            takes, multi = spec[name]
            if takes:
                if not eq:
                    i += 1
                    if i >= len(args):
                        raise UsageError(f"flag needs an argument: {arg}")
                    value = args[i]
            else:
                value = value.lower() not in ("false", "0") if eq else True
            if multi:
                flags.setdefault(name, []).append(value)
            else:
                flags[name] = value
        else:
            positional.append(arg)
        i += 1
    return flags, positional


class Globals:
    def __init__(self, flags: dict) -> None:
        from teu.runtime.state import DEFAULT_ROOT

        self.root = flags.get("root") or DEFAULT_ROOT
        self.log = flags.get("log")
        self.log_format = flags.get("log-format", "text")
        self.debug = bool(flags.get("debug"))
        self.systemd_cgroup = bool(flags.get("systemd-cgroup"))


def main(argv: list[str] | None = None) -> int:
    if argv is None and "events" not in sys.argv:
        # As a program, short-lived (events excepted): its objects all go at exit, and
        # the cyclic GC would only walk them (~1.5 ms a start) and, in the forked
        # container side, copy every page it touches.
        import gc

        gc.disable()
    argv = sys.argv[1:] if argv is None else argv
    try:
        return _main(argv)
    except TeuError as e:
        from teu.runtime import log

        log.error(str(e))
        return e.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        # A bug, shown with its traceback; its one line still goes to the --log file,
        # the only place containerd's shim (and so the kubelet) reads a reason from.
        from teu.runtime import log

        log.error(f"internal error: {e.__class__.__name__}: {e}")
        raise


def split_globals(argv: list[str]) -> tuple[dict, str | None, list[str]]:
    """(global flags, verb, the verb's arguments): the global flags are those before the
    first word that is not a flag or a flag's value (`--root R --log F create ...`)."""
    split = next((i for i, a in enumerate(argv) if not a.startswith("-")
                  and (i == 0 or not _takes_value(argv[i - 1]))), len(argv))
    gflags, _ = parse_flags(argv[:split], GLOBAL_FLAGS, GLOBAL_ALIASES)
    verb = argv[split] if split < len(argv) else None
    return gflags, verb, argv[split + 1:]


def verb_module(verb: str):  # noqa: ANN201 - a module
    return __import__(f"teu.runtime.cli.{VERBS[verb]}", fromlist=["run"])


def parse_verb(module, rest: list[str]) -> tuple[dict, list[str]]:  # noqa: ANN001
    """A verb's flags and positional args. Flags may follow the container id (urfave/cli
    reorders them, so `update ID --memory 1m` works with runc), except where the rest is
    a command line (exec, ps)."""
    return parse_flags(rest, {**module.FLAGS, "help": (False, False)},
                       {**getattr(module, "ALIASES", {}), "h": "help"},
                       stop_at_positional=getattr(module, "STOP_AT_ARGS", False))


def _main(argv: list[str]) -> int:
    gflags, verb, rest = split_globals(argv)
    if gflags.get("version"):
        print(version_text(), end="")
        return 0
    if gflags.get("help") or verb is None:
        print(top_help(), end="")
        return 0 if gflags.get("help") else 1
    g = Globals(gflags)
    from teu.runtime import log

    if g.log_format not in ("text", "json"):
        raise UsageError(f"--log-format {g.log_format!r}: use text or json")
    log.configure(g.log, g.log_format, g.debug)
    if verb in ("help", "h"):
        if rest and rest[0] in VERBS:
            print(verb_help(rest[0], verb_module(rest[0]).__doc__), end="")
            return 0
        if rest:
            raise UsageError(f"No help topic for '{rest[0]}'", 3)
        print(top_help(), end="")
        return 0
    if verb not in VERBS:
        if any(a in ("-h", "--help", "-help") for a in rest):
            raise UsageError(f"No help topic for '{verb}'", 3)  # urfave/cli's words
        raise UsageError(f"unknown command {verb!r}; see teu-runtime --help")
    module = verb_module(verb)
    flags, positional = parse_verb(module, rest)
    if flags.get("help"):
        print(verb_help(verb, module.__doc__), end="")
        return 0
    return module.run(g, flags, positional)


def _takes_value(arg: str) -> bool:
    name = arg.lstrip("-")
    return "=" not in name and GLOBAL_FLAGS.get(GLOBAL_ALIASES.get(name, name), (False,))[0]


def need_id(positional: list[str], verb: str) -> str:
    if not positional:
        raise UsageError(f"{verb}: a container id is required")
    return positional[0]


if __name__ == "__main__":
    sys.exit(main())
