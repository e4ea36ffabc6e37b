"""`teu rename CONTAINER NEW_NAME`."""

from __future__ import annotations

from teu.cli._engine import engine, guarded, parse_or_help


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, [], "teu rename", "CONTAINER NEW_NAME",
                           "Rename a container", True, 2, 2)
    if parsed is None:
        return 0

    def go() -> int:
        from teu.engine.lifecycle.control import rename

        rename(engine(), parsed[1][0], parsed[1][1])
        return 0

    return guarded(go)
