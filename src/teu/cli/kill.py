"""`teu kill [-s SIGNAL] CONTAINER...`: send a signal (SIGKILL by default)."""

from __future__ import annotations

from teu.cli._engine import each, engine, guarded, parse_or_help
from teu.cli._flags import STR, Flag

FLAGS = [Flag("signal", "s", STR, "Signal to send to the container")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu kill", "[OPTIONS] CONTAINER [CONTAINER...]",
                           "Kill one or more running containers", True, 1)
    if parsed is None:
        return 0
    opts, refs = parsed

    def go() -> int:
        from teu.engine.lifecycle.control import kill

        e = engine()
        return each(refs, lambda r: kill(e, r, opts.get("signal") or "SIGKILL") and r)

    return guarded(go)
