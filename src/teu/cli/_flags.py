"""docker's flag grammar (spf13/pflag) and cobra's argument checks, for every verb.

One parser for all of `teu`: no argparse (it costs ~7 ms to import, and `teu run`
parses its flags on every container start). Grammar: --name value, --name=value,
-n value, -nvalue, grouped short booleans (-dit), --bool=false, `--` ends the
flags. Verbs like run and exec stop at the first positional (the image or
container): what follows is the command and belongs to it.

A verb declares its flags as a list of `Flag`s and calls `parse_or_help` with its
synopsis and how many arguments it takes; the messages and exit codes are
docker's: a bad flag is exit 125 (`unknown flag: --x`, `See 'teu rm --help'.`),
a wrong number of arguments exit 1 (`"teu rm" requires at least 1 argument.`).
"""

from __future__ import annotations

import sys

from teu.engine.errors import InvalidArgument

BOOL, STR, LIST, INT = "bool", "str", "list", "int"


class UsageError(InvalidArgument):
    """A command line docker refuses before doing anything. Printed as is (no `teu
    VERB:` prefix, docker's text); exit 125 for flags, 1 for the number of arguments."""

    bare = True


class Flag:
    __slots__ = ("name", "short", "kind", "help", "metavar")

    def __init__(self, name: str, short: str | None, kind: str, help: str = "",
                 metavar: str = "") -> None:
        self.name = name
        self.short = short
        self.kind = kind
        self.help = help
        self.metavar = metavar

    def shown(self) -> str:
        """How pflag names the flag in an invalid-value message: `-n, --last`."""
        return (f"-{self.short}, " if self.short else "") + f"--{self.name}"


HELP = Flag("help", None, BOOL, "Print usage")


def parse(argv: list[str], flags: list[Flag], interspersed: bool = True,
          prog: str = "teu") -> tuple[dict, list[str]]:
    """(options by python name, positional arguments); UsageError on a bad flag."""
    long = {f.name: f for f in flags}
    short = {f.short: f for f in flags if f.short}
    opts: dict = {}
    positional: list[str] = []
    see = f"\nSee '{prog} --help'."
    i = 0
    n = len(argv)

    def value_for(flag: Flag, inline: str | None, shown: str) -> str:
        nonlocal i
        if inline is not None:
            return inline
        i += 1
        if i >= n:
            raise UsageError(f"flag needs an argument: {shown}{see}")
        return argv[i]

    def store(flag: Flag, value: object) -> None:
        key = flag.name.replace("-", "_")
        if flag.kind == LIST:
            opts.setdefault(key, []).append(value)
        elif flag.kind == INT:
            opts[key] = _int(str(value), flag, see)
        else:
            opts[key] = value

    while i < n:
        arg = argv[i]
        if arg == "--":
            positional.extend(argv[i + 1:])
            break
        if arg.startswith("--") and len(arg) > 2:
            name, eq, inline = arg[2:].partition("=")
            flag = long.get(name)
            if flag is None:
                raise UsageError(f"unknown flag: --{name}{see}")
            if flag.kind == BOOL:
                store(flag, _bool(inline, flag, see) if eq else True)
            else:
                store(flag, value_for(flag, inline if eq else None, f"--{name}"))
        elif arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                ch = arg[j]
                flag = short.get(ch)
                if flag is None:
                    raise UsageError(f"unknown shorthand flag: '{ch}' in -{arg[j:]}{see}")
                if flag.kind == BOOL:
                    if arg[j + 1:j + 2] == "=":
                        store(flag, _bool(arg[j + 2:], flag, see))
                        break
                    store(flag, True)
                    j += 1
                    continue
                rest = arg[j + 1:]
                if rest.startswith("="):
                    rest = rest[1:]
                store(flag, value_for(flag, rest or None, f"'{ch}' in -{arg[j:]}"))
                break
        else:
            positional.append(arg)
            if not interspersed:
                positional.extend(argv[i + 1:])
                break
        i += 1
    return opts, positional


def _bool(text: str, flag: Flag, see: str) -> bool:
    t = text.lower()
    if t in ("true", "1", "t"):
        return True
    if t in ("false", "0", "f"):
        return False
    raise UsageError(f'invalid argument "{text}" for "{flag.shown()}" flag: '
                     f'strconv.ParseBool: parsing "{text}": invalid syntax{see}')


def _int(text: str, flag: Flag, see: str) -> int:
    body = text[1:] if text[:1] in "+-" else text
    if body.isdigit() and body.isascii():
        return int(text)
    raise UsageError(f'invalid argument "{text}" for "{flag.shown()}" flag: '
                     f'strconv.ParseInt: parsing "{text}": invalid syntax{see}')


def usage(prog: str, synopsis: str, description: str, flags: list[Flag]) -> str:
    lines = ["", f"Usage:  {prog} {synopsis}", "", description, ""]
    if flags:
        lines.append("Options:")
    for f in flags:
        head = (f"-{f.short}, " if f.short else "    ") + f"--{f.name}"
        if f.kind != BOOL:
            head += " " + (f.metavar or {LIST: "list", INT: "int"}.get(f.kind, "string"))
        lines.append(f"  {head:<32} {f.help}")
    return "\n".join(lines) + "\n"


def check_args(args: list[str], prog: str, synopsis: str, description: str,
               min_args: int = 0, max_args: int | None = None) -> None:
    """cobra's argument checks with docker's messages (cli/required.go); exit 1."""
    n = len(args)
    if min_args <= n and (max_args is None or n <= max_args):
        return

    def count(k: int) -> str:
        return f"{k} argument" + ("" if k == 1 else "s")

    if max_args == 0:
        what = "accepts no arguments"
    elif max_args == min_args:
        what = f"requires exactly {count(min_args)}"
    elif max_args is None:
        what = f"requires at least {count(min_args)}"
    elif min_args == 0:
        what = f"requires at most {count(max_args)}"
    else:
        what = f"requires at least {min_args} and at most {count(max_args)}"
    raise UsageError(f'"{prog}" {what}.\nSee \'{prog} --help\'.\n\nUsage:  {prog} {synopsis}'
                     f"\n\n{description}", 1)


def parse_or_help(argv: list[str], flags: list[Flag], prog: str, synopsis: str,
                  description: str, interspersed: bool = True, min_args: int = 0,
                  max_args: int | None = None) -> tuple[dict, list[str]] | None:
    """Parsed flags and arguments, or None after printing help (--help, -h where the
    verb has no -h of its own). max_args None: any number."""
    every = [*flags, HELP]
    if not any(f.short == "h" for f in flags):
        every[-1] = Flag("help", "h", BOOL, "Print usage")
    opts, args = parse(argv, every, interspersed, prog)
    if opts.get("help"):
        sys.stdout.write(usage(prog, synopsis, description, flags))
        return None
    check_args(args, prog, synopsis, description, min_args, max_args)
    return opts, args
