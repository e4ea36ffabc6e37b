"""What every inspect verb prints (docker's cli/command/inspect): the objects as an
indented JSON array, compact with `--format json`, or each through a Go template;
then the failures, one line each; exit 1 if any. A template that does not parse
fails first, exit 64, as docker's does."""

from __future__ import annotations

import json
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing costs an import on every inspect
    from collections.abc import Callable
    from typing import Any


def write_inspected(found: list, failed: list[str], fmt: str | None,
                    kind: str = "") -> int:
    """Print `found` as docker does; `failed` are whole lines ("Error: No such ...")."""
    errors = list(failed)
    if fmt and fmt != "json":
        from teu.cli.formatting import FormatError, inspect_one, inspect_template

        t = inspect_template(fmt)
        out = []
        for obj in found:
            try:
                out.append(inspect_one(t, obj) + "\n")
            except FormatError as e:
                errors.append(str(e))
        sys.stdout.write("".join(out) or "\n")
    elif fmt == "json":
        print(json.dumps(found, separators=(",", ":"), ensure_ascii=False))
    else:
        print(json.dumps(found, indent=4, ensure_ascii=False))
    for msg in errors:
        print(msg, file=sys.stderr)
    return 1 if errors else 0


def inspect_each(names: list[str], look: Callable[[str], Any], fmt: str | None) -> int:
    """`look(name)` for each name, then print as docker does; a name that fails (a
    TeuError) is an "Error: ..." line on stderr and the others still print."""
    from teu.errors import TeuError

    found: list = []
    failed: list[str] = []
    for name in names:
        try:
            found.append(look(name))
        except TeuError as err:
            failed.append(f"Error: {err}")
    return write_inspected(found, failed, fmt)


def inspect_verb(argv: list[str], prog: str, usage: str, what: str,
                 look: Callable[[Any, str], Any],
                 format_help: str = "Format the output using a Go template") -> int:
    """A whole `teu X inspect [-f FORMAT] NAME...` verb (volume, pod): the flags and help,
    then `look(engine, name)` for each name through inspect_each."""
    from teu.cli._engine import engine, guarded, parse_or_help
    from teu.cli._flags import STR, Flag

    flags = [Flag("format", "f", STR, format_help)]
    parsed = parse_or_help(argv, flags, prog, usage,
                           f"Display detailed information on one or more {what}", True, 1)
    if parsed is None:
        return 0
    opts, names = parsed

    def go() -> int:
        e = engine()
        return inspect_each(names, lambda name: look(e, name), opts.get("format"))

    return guarded(go)
