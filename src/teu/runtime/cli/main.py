"""`teu-runtime`: runc's command line over teu.runtime. One module per verb.

A hand-rolled parser, not argparse: conmon and podman start this program for
every container, so each millisecond of start-up counts, and runc's flag
grammar (urfave/cli: -flag or --flag, value as next word or after '=') is small.
"""

from __future__ import annotations

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

USAGE = """usage: teu-runtime [global options] COMMAND [options] [arguments]

An OCI runtime with runc's command line.

commands:
  create     create a container from a bundle (its init waits for start)
  start      run the user-defined process of a created container
  run        create and start a container, wait for it (-d: do not wait)
  state      print the state of a container as JSON
  kill       send a signal to the init (or, with --all, every process)
  delete     delete a stopped container (--force: any)
  exec       run another process inside a container
  list, ls   list containers
  ps         show the processes in a container
  pause      freeze every process of a container
  resume     thaw a paused container
  update     change the resource limits of a container
  spec       write a default config.json
  features   print the features this runtime supports as JSON
  events     print a container's resource usage (--stats)

global options:
  --root DIR          state directory (default /run/teu-runtime)
  --log FILE          log file; --log-format text|json
  --debug             log more
  --systemd-cgroup    treat cgroupsPath as slice:prefix:name (needs systemd)
  --version, -v       print the version
"""


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
    argv = sys.argv[1:] if argv is None else argv
    try:
        return _main(argv)
    except TeuError as e:
        from teu.runtime import log

        log.error(str(e))
        return e.exit_code
    except KeyboardInterrupt:
        return 130


def _main(argv: list[str]) -> int:
    split = next((i for i, a in enumerate(argv) if not a.startswith("-")
                  and (i == 0 or not _takes_value(argv[i - 1]))), len(argv))
    gflags, _ = parse_flags(argv[:split], GLOBAL_FLAGS, GLOBAL_ALIASES)
    if gflags.get("version"):
        from teu import __version__

        print(f"teu-runtime version {__version__}\nspec: 1.2.0")
        return 0
    if gflags.get("help") or split == len(argv):
        print(USAGE, end="")
        return 0 if gflags.get("help") else 1
    g = Globals(gflags)
    from teu.runtime import log

    if g.log_format not in ("text", "json"):
        raise UsageError(f"--log-format {g.log_format!r}: use text or json")
    log.configure(g.log, g.log_format, g.debug)
    verb, rest = argv[split], argv[split + 1:]
    if verb == "help":
        print(USAGE, end="")
        return 0
    module_name = VERBS.get(verb)
    if module_name is None:
        raise UsageError(f"unknown command {verb!r}; see teu-runtime --help")
    module = __import__(f"teu.runtime.cli.{module_name}", fromlist=["run"])
    flags, positional = parse_flags(rest, {**module.FLAGS, "help": (False, False)},
                                    {**getattr(module, "ALIASES", {}), "h": "help"})
    if flags.get("help"):
        print(module.__doc__.strip())
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
