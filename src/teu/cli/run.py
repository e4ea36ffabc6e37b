"""`teu run [OPTIONS] IMAGE [COMMAND] [ARG...]`: create and start a container."""

from __future__ import annotations

import sys

from teu.cli._container_flags import CREATE_FLAGS, to_options
from teu.cli._engine import RUN_FAILURE, engine, guarded, not_a_tty, parse_or_help
from teu.cli._flags import BOOL, Flag

FLAGS = [Flag("detach", "d", BOOL, "Run container in background and print container ID"),
         *CREATE_FLAGS]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu run", "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                           "Create and run a new container from an image", False, 1)
    if parsed is None:
        return 0
    opts = to_options(*parsed)
    not_a_tty(bool(opts.get("interactive")), bool(opts.get("tty")), bool(opts.get("detach")))

    def go() -> int:
        from teu.engine.lifecycle.run import run

        def created(cid: str) -> None:
            print(cid, flush=True)

        return run(engine(), opts, created if opts.get("detach") else None)[1]

    return guarded(go, RUN_FAILURE, command_codes=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
