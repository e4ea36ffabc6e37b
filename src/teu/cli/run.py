"""`teu run [OPTIONS] IMAGE [COMMAND] [ARG...]`: create and start a container."""

from __future__ import annotations

import sys

from teu.cli._container_flags import CREATE_FLAGS, to_options
from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, Flag

FLAGS = [Flag("detach", "d", BOOL, "Run container in background and print container ID"),
         *CREATE_FLAGS]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu run", "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                           "Create and run a new container from an image", False, 1)
    if parsed is None:
        return 0
    opts = to_options(*parsed)

    def go() -> int:
        from teu.engine.lifecycle.run import run

        def created(cid: str) -> None:
            print(cid, flush=True)

        return run(engine(), opts, created if opts.get("detach") else None)[1]

    return guarded(go)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
