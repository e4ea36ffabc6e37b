"""`teu rm [-f] [-v] CONTAINER...`: remove containers."""

from __future__ import annotations

from teu.cli._engine import each, engine, guarded, parse_or_help
from teu.cli._flags import BOOL, Flag

FLAGS = [Flag("force", "f", BOOL, "Force the removal of a running container (uses SIGKILL)"),
         Flag("volumes", "v", BOOL, "Remove anonymous volumes associated with the container")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu rm", "[OPTIONS] CONTAINER [CONTAINER...]",
                           "Remove one or more containers", True, 1)
    if parsed is None:
        return 0
    opts, refs = parsed

    def go() -> int:
        from teu.engine.lifecycle.remove import remove

        e = engine()

        def one(ref: str) -> str:
            remove(e, ref, force=bool(opts.get("force")), volumes=bool(opts.get("volumes")))
            return ref

        from teu.engine.errors import NotFound

        # docker: `rm -f` of a missing container says so and still exits 0.
        force = bool(opts.get("force"))
        return each(refs, one, tolerate=lambda err: force and isinstance(err, NotFound))

    return guarded(go)
