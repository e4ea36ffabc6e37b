"""`teu create [OPTIONS] IMAGE [COMMAND] [ARG...]`: create a container, not started."""

from __future__ import annotations

from teu.cli._container_flags import CREATE_FLAGS, to_options
from teu.cli._engine import RUN_FAILURE, engine, guarded, parse_or_help


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, CREATE_FLAGS, "teu create",
                           "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create a new container",
                           False, 1)
    if parsed is None:
        return 0
    opts = to_options(*parsed)

    def go() -> int:
        from teu.engine.pods.new import create

        row = create(engine(), opts)
        print(row["id"])
        return 0

    return guarded(go, RUN_FAILURE)
