"""docker's flag grammar (spf13/pflag) for the container verbs, without argparse.

`teu run` parses its flags on every container start, and argparse costs ~7 ms
to import. Grammar: --name value, --name=value, -n value, -nvalue, grouped
short booleans (-dit), --bool=false, `--` ends the flags. Verbs like run and
exec stop at the first positional (the image or container): what follows is
the command and belongs to it.
"""

from __future__ import annotations

from teu.engine.errors import InvalidArgument

BOOL, STR, LIST = "bool", "str", "list"


class Flag:
    __slots__ = ("name", "short", "kind", "help", "metavar")

    def __init__(self, name: str, short: str | None, kind: str, help: str = "",
                 metavar: str = "") -> None:
        self.name = name
        self.short = short
        self.kind = kind
        self.help = help
        self.metavar = metavar


def parse(argv: list[str], flags: list[Flag], interspersed: bool = True,
          prog: str = "teu") -> tuple[dict, list[str]]:
    """(options by python name, positional arguments); InvalidArgument on a bad flag."""
    long = {f.name: f for f in flags}
    short = {f.short: f for f in flags if f.short}
    opts: dict = {}
    positional: list[str] = []
    i = 0
    n = len(argv)

    def value_for(flag: Flag, inline: str | None, shown: str) -> str:
        nonlocal i
        if inline is not None:
            return inline
        i += 1
        if i >= n:
            raise InvalidArgument(f"flag needs an argument: {shown}\nSee '{prog} --help'.")
        return argv[i]

    def store(flag: Flag, value: object) -> None:
        key = flag.name.replace("-", "_")
        if flag.kind == LIST:
            opts.setdefault(key, []).append(value)
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
                raise InvalidArgument(f"unknown flag: --{name}\nSee '{prog} --help'.")
            if flag.kind == BOOL:
                store(flag, _bool(inline, arg) if eq else True)
            else:
                store(flag, value_for(flag, inline if eq else None, f"--{name}"))
        elif arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                ch = arg[j]
                flag = short.get(ch)
                if flag is None:
                    raise InvalidArgument(f"unknown shorthand flag: '{ch}' in {arg}\n"
                                          f"See '{prog} --help'.")
                if flag.kind == BOOL:
                    if arg[j + 1:j + 2] == "=":
                        store(flag, _bool(arg[j + 2:], arg))
                        break
                    store(flag, True)
                    j += 1
                    continue
                rest = arg[j + 1:]
                if rest.startswith("="):
                    rest = rest[1:]
                store(flag, value_for(flag, rest or None, f"-{ch}"))
                break
        else:
            positional.append(arg)
            if not interspersed:
                positional.extend(argv[i + 1:])
                break
        i += 1
    return opts, positional


def _bool(text: str, arg: str) -> bool:
    t = text.lower()
    if t in ("true", "1", "t"):
        return True
    if t in ("false", "0", "f"):
        return False
    raise InvalidArgument(f'invalid argument "{text}" for "{arg}": strconv.ParseBool: '
                          f'parsing "{text}": invalid syntax')


def usage(prog: str, synopsis: str, description: str, flags: list[Flag]) -> str:
    lines = [f"Usage:  {prog} {synopsis}", "", description, "", "Options:"]
    for f in flags:
        head = (f"-{f.short}, " if f.short else "    ") + f"--{f.name}"
        if f.kind != BOOL:
            head += " " + (f.metavar or ("list" if f.kind == LIST else "string"))
        lines.append(f"  {head:<32} {f.help}")
    return "\n".join(lines) + "\n"
