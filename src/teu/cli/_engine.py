"""What the container verbs share: the Engine, docker's exit codes, one-line errors."""

from __future__ import annotations

import sys

from teu.cli._flags import BOOL, Flag, parse, usage
from teu.errors import TeuError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: collections.abc alone costs ~2 ms
if TYPE_CHECKING:
    from collections.abc import Callable

HELP = Flag("help", None, BOOL, "Print usage")


def engine():  # noqa: ANN201
    from teu.engine.context import Engine

    return Engine()


def guarded(fn: Callable[[], int]) -> int:
    """Run a verb: teu's own failures exit 125 (126/127 when the command cannot run)."""
    try:
        return fn()
    except TeuError as e:
        code = e.exit_code if e.exit_code in (125, 126, 127) else 125
        raise TeuError(str(e), code) from None
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        raise TeuError(f"{where}{e.strerror or e}", 125) from None


def parse_or_help(argv: list[str], flags: list[Flag], prog: str, synopsis: str,
                  description: str, interspersed: bool = True,
                  min_args: int = 0) -> tuple[dict, list[str]] | None:
    """Parsed flags, or None after printing help (--help)."""
    opts, args = parse(argv, [*flags, HELP], interspersed, prog)
    if opts.get("help"):
        sys.stdout.write(usage(prog, synopsis, description, flags))
        return None
    if len(args) < min_args:
        noun = "argument" if min_args == 1 else "arguments"
        raise TeuError(f'"{prog}" requires at least {min_args} {noun}.\nSee \'{prog} --help\'.'
                       f"\n\nUsage:  {prog} {synopsis}", 125)
    return opts, args


def each(refs: list[str], action: Callable[[str], object], echo: bool = True) -> int:
    """Apply to every container named; print each that worked, one line per failure,
    exit 125 if any failed (teu's own failure; docker says 1)."""
    failed = 0
    for ref in refs:
        try:
            result = action(ref)
        except TeuError as e:
            print(f"Error: {e}", file=sys.stderr)
            failed += 1
            continue
        if echo:
            print(result if isinstance(result, str) else ref)
    return 125 if failed else 0
