"""`teu start [-a] [-i] CONTAINER...`: start stopped containers."""

from __future__ import annotations

from teu.cli._engine import each, engine, guarded, parse_or_help
from teu.cli._flags import BOOL, Flag

FLAGS = [Flag("attach", "a", BOOL, "Attach STDOUT/STDERR and forward signals"),
         Flag("interactive", "i", BOOL, "Attach container's STDIN")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu start", "[OPTIONS] CONTAINER [CONTAINER...]",
                           "Start one or more stopped containers", True, 1)
    if parsed is None:
        return 0
    opts, refs = parsed

    def go() -> int:
        from teu.engine.lifecycle.launch import start

        e = engine()
        if opts.get("attach") or opts.get("interactive"):
            if len(refs) > 1:
                from teu.engine.errors import InvalidArgument

                raise InvalidArgument("you cannot start and attach multiple containers at once")
            return start(e, refs[0], attach=True, interactive=bool(opts.get("interactive")))
        return each(refs, lambda r: start(e, r) and r or r)

    return guarded(go)
