"""`teu top CONTAINER [ps OPTIONS]`: the container's processes."""

from __future__ import annotations

from teu.cli._engine import engine, guarded, parse_or_help


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, [], "teu top", "CONTAINER [ps OPTIONS]",
                           "Display the running processes of a container", False, 1)
    if parsed is None:
        return 0

    def go() -> int:
        from teu.cli._table import rows_text
        from teu.engine.views.top import top

        titles, rows = top(engine(), parsed[1][0], parsed[1][1:] or None)
        print(rows_text([titles, *rows]), end="")
        return 0

    return guarded(go)
