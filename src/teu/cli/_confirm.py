"""docker's confirmation prompt for the prune verbs (`-f` skips it)."""

from __future__ import annotations

import sys


def confirmed(message: str) -> bool:
    """The message and ` [y/N] ` on stdout, one line read from stdin; only `y` (any case)
    goes on: anything else, and the end of input, says no (docker's PromptForConfirmation)."""
    sys.stdout.write(message + " [y/N] ")
    sys.stdout.flush()
    return sys.stdin.readline().strip().lower() == "y"


def asked(opts: dict, message: str) -> bool:
    """True when the verb may go on: `-f` given, or the user said yes to `message`."""
    return bool(opts.get("force")) or confirmed(message)
