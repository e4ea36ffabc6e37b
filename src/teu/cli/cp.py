"""`teu cp CONTAINER:SRC DEST|-` and `teu cp SRC|- CONTAINER:DEST`."""

from __future__ import annotations

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, Flag

FLAGS = [Flag("archive", "a", BOOL, "Archive mode (copy all uid/gid information)"),
         Flag("follow-link", "L", BOOL, "Always follow symbol link in SRC_PATH")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu cp",
                           "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
                           "       teu cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
                           "Copy files/folders between a container and the local filesystem",
                           True, 2, 2)
    if parsed is None:
        return 0

    def go() -> int:
        from teu.cli._flags import UsageError
        from teu.engine.files.cp import copy

        # Refused rather than silently ignored until they are implemented (exit 125, as
        # a flag docker would not know).
        for flag in ("archive", "follow_link", "follow-link"):
            if parsed[0].get(flag):
                raise UsageError(f"--{flag.replace('_', '-')} is not supported yet")

        copy(engine(), parsed[1][0], parsed[1][1])
        return 0

    return guarded(go)
