"""What the container verbs share: the Engine, docker's exit codes, one-line errors.

Exit codes are docker's (the CLI's, not the daemon's): a bad command line is 125
(`UsageError`); a failure of a verb that does not run a command (rm, inspect,
stop, logs, volume rm, ...) is 1; `run` and `create` answer 125 for their own
failures and 126/127 when the command cannot be run; `exec` answers 1 for its
own failures (no such container, not running) and 126/127 for the command.
"""

from __future__ import annotations

import sys

from teu.cli._flags import HELP, Flag, UsageError, parse_or_help  # noqa: F401 - re-exported
from teu.errors import TeuError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: collections.abc alone costs ~2 ms
if TYPE_CHECKING:
    from collections.abc import Callable

FAILURE = 1       # docker's exit code for a failed verb
RUN_FAILURE = 125  # ... for run/create's own failures (the daemon's or the CLI's)


def engine():  # noqa: ANN201
    from teu.engine.context import Engine

    return Engine()


def failure_code(e: TeuError, failure: int = FAILURE, command_codes: bool = False) -> int:
    """Docker's exit code for a verb that failed with `e`."""
    if isinstance(e, UsageError) or getattr(e, "bare", False):
        return e.exit_code  # docker's own text and code (a usage or template error)
    if command_codes and e.exit_code in (126, 127):
        return e.exit_code
    return failure


def guarded(fn: Callable[[], int], failure: int = FAILURE, command_codes: bool = False) -> int:
    """Run a verb; a TeuError or OSError leaves as one line with docker's exit code.
    run/create pass failure=125 and command_codes (126/127), exec command_codes."""
    try:
        return fn()
    except TeuError as e:
        code = failure_code(e, failure, command_codes)
        if code == e.exit_code:
            raise
        err = TeuError(str(e), code)
        if getattr(e, "bare", False):
            err.bare = True  # type: ignore[attr-defined]
        raise err from None
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        raise TeuError(f"{where}{e.strerror or e}", failure) from None


def each(refs: list[str], action: Callable[[str], object], echo: bool = True,
         tolerate: Callable[[TeuError], bool] | None = None) -> int:
    """Apply to every name given; print each that worked, one line per failure
    (`Error: No such container: x`), exit 1 if any failed (docker's). A failure that
    `tolerate` accepts is reported but does not fail (rm -f of a missing container)."""
    failed = 0
    for ref in refs:
        try:
            result = action(ref)
        except TeuError as e:
            print(f"Error: {e}", file=sys.stderr)
            if tolerate is None or not tolerate(e):
                failed += 1
            continue
        if echo:
            print(result if isinstance(result, str) else ref)
    return FAILURE if failed else 0


def not_a_tty(interactive: bool, tty: bool, detach: bool) -> None:
    """docker's CheckTty: -it attached to a stdin that is not a terminal is refused."""
    if interactive and tty and not detach:
        try:
            ok = sys.stdin.isatty()
        except (AttributeError, ValueError):
            ok = False
        if not ok:
            raise UsageError("the input device is not a TTY", 1)
