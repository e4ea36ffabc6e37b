"""`teu wait CONTAINER...`: block until containers stop, print their exit codes."""

from __future__ import annotations

from teu.cli._engine import each, engine, guarded, parse_or_help
from teu.cli._flags import STR, Flag

FLAGS = [Flag("condition", None, STR, "not-running (default) or next-exit")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu wait", "CONTAINER [CONTAINER...]",
                           "Block until one or more containers stop, then print their exit "
                           "codes", True, 1)
    if parsed is None:
        return 0
    opts, refs = parsed

    def go() -> int:
        from teu.engine.lifecycle.control import wait

        e = engine()
        return each(refs, lambda r: str(wait(e, r, opts.get("condition") or "not-running")))

    return guarded(go)
