"""`teu restart [-t SECONDS] CONTAINER...`: stop (if running) and start again."""

from __future__ import annotations

from teu.cli._engine import each, engine, guarded, parse_or_help
from teu.cli._flags import STR, Flag

FLAGS = [Flag("time", "t", STR, "Seconds to wait before killing the container", "int"),
         Flag("signal", "s", STR, "Signal to send to the container")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu restart", "[OPTIONS] CONTAINER [CONTAINER...]",
                           "Restart one or more containers", True, 1)
    if parsed is None:
        return 0
    opts, refs = parsed

    def go() -> int:
        from teu.engine.config import units
        from teu.engine.lifecycle.control import restart

        e = engine()
        t = opts.get("time")
        timeout = units.integer(t, "--time") if t is not None else None

        def one(ref: str) -> str:
            restart(e, ref, timeout, opts.get("signal"))
            return ref

        return each(refs, one)

    return guarded(go)
