"""`teu ps [-a] [-q] [-n N] [-l] [--no-trunc] [--filter K=V] [--format T]`."""

from __future__ import annotations

import sys

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, INT, LIST, STR, Flag

FLAGS = [Flag("all", "a", BOOL, "Show all containers (default shows just running)"),
         Flag("quiet", "q", BOOL, "Only display container IDs"),
         Flag("filter", "f", LIST, "Filter output based on conditions provided"),
         Flag("format", None, STR, "Format output using a custom template"),
         Flag("last", "n", INT, "Show n last created containers (includes all states) "
              "(default -1)"),
         Flag("latest", "l", BOOL, "Show the latest created container (includes all states)"),
         Flag("no-trunc", None, BOOL, "Don't truncate output"),
         Flag("size", "s", BOOL, "Display total file sizes")]

DEFAULT = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
HEADERS = {"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND",
           "RunningFor": "CREATED", "Status": "STATUS", "Ports": "PORTS", "Names": "NAMES",
           "CreatedAt": "CREATED AT", "State": "STATE", "Labels": "LABELS", "Mounts": "MOUNTS",
           "Networks": "NETWORKS", "Size": "SIZE", "LocalVolumes": "LOCAL VOLUMES"}


def row_context(item: dict):  # noqa: ANN201 - a gotemplate Struct
    """A `teu ps` row as docker's *formatter.ContainerContext: its fields, and
    `.Label "k"`."""
    from teu.cli.formatting import context

    labels = item.pop("LabelMap", None) or {}
    return context("*formatter.ContainerContext", {k: item.get(k, "") for k in HEADERS}, labels)


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu ps", "[OPTIONS]", "List containers", True, 0, 0)
    if parsed is None:
        return 0
    opts, _ = parsed
    for f in opts.get("filter") or []:
        if "=" not in f:  # docker's filter flag type refuses it: a flag error, 125
            from teu.cli._flags import UsageError

            raise UsageError(f'invalid argument "{f}" for "-f, --filter" flag: bad format of '
                             "filter (expected name=value)\nSee 'teu ps --help'.")

    def go() -> int:
        from teu.engine.views.listing import listing

        if opts.get("size"):
            from teu.cli._flags import UsageError

            raise UsageError("--size is not supported yet (teu system df shows sizes)")

        last = opts.get("last")
        n = last if last is not None and last >= 0 else (1 if opts.get("latest") else None)
        from teu.cli.formatting import render, validate

        fmt = opts.get("format")
        validate(fmt, row_context({}))
        items = listing(engine(), all_=bool(opts.get("all")) or n is not None,
                        filters=opts.get("filter") or [], last=n,
                        no_trunc=bool(opts.get("no_trunc")))
        if opts.get("quiet"):
            for item in items:
                print(item["ID"])
            return 0
        sys.stdout.write(render(fmt, DEFAULT, HEADERS, [row_context(i) for i in items]))
        return 0

    return guarded(go)
