"""`teu stop [-t SECONDS] [-s SIGNAL] CONTAINER...`: stop running containers."""

from __future__ import annotations

from teu.cli._engine import each, engine, guarded, parse_or_help
from teu.cli._flags import STR, Flag

FLAGS = [Flag("time", "t", STR, "Seconds to wait before killing the container", "int"),
         Flag("timeout", None, STR, "Alias of --time", "int"),
         Flag("signal", "s", STR, "Signal to send to the container")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu stop", "[OPTIONS] CONTAINER [CONTAINER...]",
                           "Stop one or more running containers", True, 1)
    if parsed is None:
        return 0
    opts, refs = parsed

    def go() -> int:
        from teu.engine.config import units
        from teu.engine.lifecycle.control import stop

        e = engine()
        t = opts.get("time", opts.get("timeout"))
        timeout = units.integer(t, "--time") if t is not None else None
        return each(refs, lambda r: stop(e, r, timeout, opts.get("signal")) and r)

    return guarded(go)
