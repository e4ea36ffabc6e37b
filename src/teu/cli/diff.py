"""`teu diff CONTAINER`: files added (A), changed (C) and deleted (D)."""

from __future__ import annotations

from teu.cli._engine import engine, guarded, parse_or_help


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, [], "teu diff", "CONTAINER",
                           "Inspect changes to files or directories on a container's "
                           "filesystem", True, 1, 1)
    if parsed is None:
        return 0

    def go() -> int:
        from teu.engine.files.diff import changes

        for kind, path in changes(engine(), parsed[1][0]):
            print(kind, path)
        return 0

    return guarded(go)
