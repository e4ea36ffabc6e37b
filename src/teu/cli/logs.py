"""`teu logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER`."""

from __future__ import annotations

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, STR, Flag

FLAGS = [Flag("follow", "f", BOOL, "Follow log output"),
         Flag("tail", "n", STR, 'Number of lines to show from the end of the logs ("all")'),
         Flag("since", None, STR, "Show logs since timestamp or relative (e.g. 42m)"),
         Flag("until", None, STR, "Show logs before a timestamp or relative (e.g. 42m)"),
         Flag("timestamps", "t", BOOL, "Show timestamps"),
         Flag("details", None, BOOL, "Show extra details (none are kept)")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu logs", "[OPTIONS] CONTAINER",
                           "Fetch the logs of a container", True, 1, 1)
    if parsed is None:
        return 0
    opts, refs = parsed

    def go() -> int:
        from teu.engine.config import units
        from teu.engine.timefmt import since
        from teu.engine.views.logs_cmd import logs

        tail = opts.get("tail")
        tail_n = None if tail in (None, "all") else units.integer(tail, "--tail")
        logs(engine(), refs[0], follow=bool(opts.get("follow")), tail=tail_n,
             since=since(opts["since"]) if opts.get("since") else None,
             until=since(opts["until"]) if opts.get("until") else None,
             timestamps=bool(opts.get("timestamps")))
        return 0

    return guarded(go)
