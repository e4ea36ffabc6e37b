"""`teu rename CONTAINER NEW_NAME`."""

from __future__ import annotations

import sys

from teu.cli._engine import engine, guarded, parse_or_help
from teu.errors import TeuError


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, [], "teu rename", "CONTAINER NEW_NAME",
                           "Rename a container", True, 2, 2)
    if parsed is None:
        return 0

    def go() -> int:
        from teu.engine.lifecycle.control import rename

        old, new = parsed[1]
        try:
            rename(engine(), old, new)
        except TeuError as e:
            # docker: the reason, then a line of its own naming the container
            print(f"Error: {e}", file=sys.stderr)
            raise TeuError(f"failed to rename container named {old}") from None
        return 0

    return guarded(go)
