"""`teu stats [-a] [--no-stream] [--format T] [CONTAINER...]`: live resource usage."""

from __future__ import annotations

import sys

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, STR, Flag

FLAGS = [Flag("all", "a", BOOL, "Show all containers (default shows just running)"),
         Flag("no-stream", None, BOOL, "Disable streaming stats and only pull the first result"),
         Flag("no-trunc", None, BOOL, "Do not truncate output"),
         Flag("format", None, STR, "Format output using a custom template")]
DEFAULT = ("table {{.Container}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t"
           "{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}")
HEADERS = {"Container": "CONTAINER ID", "ID": "CONTAINER ID", "Name": "NAME",
           "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %",
           "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS"}


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu stats", "[OPTIONS] [CONTAINER...]",
                           "Display a live stream of container(s) resource usage statistics")
    if parsed is None:
        return 0
    opts, refs = parsed

    def go() -> int:
        from teu.cli._table import render
        from teu.engine.views import stats as ST

        e = engine()
        fmt = opts.get("format")
        previous = None
        while True:
            rows = ST.rows_for(e, refs, bool(opts.get("all")))
            items, previous = ST.collect(e, rows, previous=previous)
            if opts.get("no_trunc"):
                for item in items:
                    item["Container"] = item["ID"]
            text = render(fmt, DEFAULT, HEADERS, items, "*formatter.statsContext")
            if opts.get("no_stream"):
                sys.stdout.write(text)
                return 0
            if sys.stdout.isatty():
                sys.stdout.write("\033[2J\033[H")
            sys.stdout.write(text)
            sys.stdout.flush()
            import time

            time.sleep(1)

    return guarded(go)
