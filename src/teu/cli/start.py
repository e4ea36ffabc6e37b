"""`teu start [-a] [-i] CONTAINER...`: start stopped containers."""

from __future__ import annotations

import sys

from teu.cli._engine import each, engine, guarded, parse_or_help
from teu.cli._flags import BOOL, Flag
from teu.errors import TeuError

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
        failed: list[str] = []

        def one(ref: str) -> str:
            try:
                start(e, ref)
            except TeuError:
                failed.append(ref)
                raise
            return ref

        code = each(refs, one)
        if failed:  # docker's last line, after one line per failure
            print(f"Error: failed to start containers: {', '.join(failed)}", file=sys.stderr)
        return code

    return guarded(go)
