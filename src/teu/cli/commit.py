"""`teu commit [-a AUTHOR] [-m MSG] [-c CHANGE]... [-p] CONTAINER [REPOSITORY[:TAG]]`."""

from __future__ import annotations

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, LIST, STR, Flag

FLAGS = [Flag("author", "a", STR, 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")'),
         Flag("change", "c", LIST, "Apply Dockerfile instruction to the created image"),
         Flag("message", "m", STR, "Commit message"),
         Flag("pause", "p", BOOL, "Pause container during commit (default true)")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu commit", "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
                           "Create a new image from a container's changes", True, 1, 2)
    if parsed is None:
        return 0
    opts, args = parsed

    def go() -> int:
        from teu.engine.files.commit import commit

        image_id = commit(engine(), args[0], args[1] if len(args) > 1 else None,
                          opts.get("change") or [], opts.get("message") or "",
                          opts.get("author") or "", pause=opts.get("pause", True))
        print(image_id)
        return 0

    return guarded(go)
