"""`teu export [-o FILE] CONTAINER`: the container's filesystem as a tar."""

from __future__ import annotations

import os
import sys

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import STR, Flag

FLAGS = [Flag("output", "o", STR, "Write to a file, instead of STDOUT")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu export", "[OPTIONS] CONTAINER",
                           "Export a container's filesystem as a tar archive", True, 1, 1)
    if parsed is None:
        return 0
    opts, refs = parsed

    def go() -> int:
        from teu.engine.errors import InvalidArgument
        from teu.engine.files.export import export

        out = opts.get("output")
        if out is None and os.isatty(1):
            raise InvalidArgument("cowardly refusing to save to a terminal. Use the -o flag "
                                  "or redirect")
        if out is None:
            sys.stdout.flush()
            export(engine(), refs[0], 1)
            return 0
        tmp = f"{out}.tmp-{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            export(engine(), refs[0], fd)
            os.close(fd)
            os.replace(tmp, out)
        except BaseException:
            os.close(fd) if not _closed(fd) else None
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return 0

    return guarded(go)


def _closed(fd: int) -> bool:
    try:
        os.fstat(fd)
        return False
    except OSError:
        return True
