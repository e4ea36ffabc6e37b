"""`teu unpause CONTAINER...`: thaw paused containers."""

from __future__ import annotations

from teu.cli._engine import each, engine, guarded, parse_or_help


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, [], "teu unpause", "CONTAINER [CONTAINER...]",
                           "Unpause all processes within one or more containers", True, 1)
    if parsed is None:
        return 0

    def go() -> int:
        from teu.engine.lifecycle.control import unpause

        e = engine()
        return each(parsed[1], lambda r: unpause(e, r) or r)

    return guarded(go)
